// platform:init and platform:add-project — a platform's folder and platform.json (domain, address range, projects).
import { sequence, task, workflow, type Definition } from '../../engine/authoring.js';

const LABEL = '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$';

/** The folder holding platforms/: every workflow of the family takes it. */
export const platformHomeParam = {
  type: 'string',
  path: true,
  default: '/srv/gravity',
  description: 'The folder holding platforms/<platform>/ (and each environment under it).',
} as const;

/** The platform param: a DNS label. */
export const platformParam = {
  type: 'string',
  pattern: LABEL,
  description: 'The platform (a DNS label, e.g. paas).',
} as const;

/** The environment param: a DNS label (a ticket id such as 1161 is one). */
export const envParam = {
  type: 'string',
  pattern: LABEL,
  description: 'The environment: a DNS label, usually the ticket id (e.g. 1161).',
} as const;

/** The `platform:init` workflow. */
export const platformInitWorkflow: Definition = workflow({
  id: 'platform:init',
  title: 'Create a platform',
  description:
    'Creates <home>/platforms/<platform>/ and its platform.json: the domain (sites are <site>.<env>.<platform>.<domain>), the address range its environments take their machines\u2019 addresses from, and a first project. Run again with the same values it changes nothing; another domain or range is refused.',
  params: {
    platform: platformParam,
    repo: { type: 'string', required: false, description: "A first project's git repository (URL or path)." },
    domain: { type: 'string', default: 'example.test', description: 'The platform domain.' },
    ipRange: {
      type: 'string',
      default: '10.10.0.0/24',
      description: 'The addresses of its machines: a CIDR (/20 to /32), a range a-b, or a list.',
    },
    home: platformHomeParam,
  },
  root: '=home + "/.."',
  steps: sequence(
    task(
      'init',
      'platform.init',
      {
        home: '=home',
        platform: '=platform',
        domain: '=domain',
        ipRange: '=ipRange',
        repo: '=get value(params, "repo")',
      },
      { title: 'write platform.json' },
    ),
  ),
  output: '={platform: platform, dir: steps.init.dir, created: steps.init.created, projects: steps.init.projects}',
});

/** The `platform:add-project` workflow. */
export const platformAddProjectWorkflow: Definition = workflow({
  id: 'platform:add-project',
  title: 'Add a project to a platform',
  description:
    "Adds a git repository to the platform's projects (its name: the repository's, or `name`). Environments clone it at their next env:init.",
  params: {
    platform: platformParam,
    repo: { type: 'string', description: "The project's git repository (URL or path)." },
    name: { type: 'string', required: false, pattern: LABEL, description: 'Its name (default: the repository name).' },
    branch: { type: 'string', required: false, description: 'The branch environments check out.' },
    home: platformHomeParam,
  },
  root: '=home + "/.."',
  steps: task(
    'add',
    'platform.add-project',
    {
      home: '=home',
      platform: '=platform',
      repo: '=repo',
      name: '=get value(params, "name")',
      branch: '=get value(params, "branch")',
    },
    { title: 'add it to platform.json' },
  ),
  output: '=steps.add',
});
