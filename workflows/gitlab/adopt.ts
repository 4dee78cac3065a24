// gitlab:adopt — takes a GitLab instance made by hand or by the original tool's scripts into the inventory, after the
// checks the original tool planned (container, folder layout, backups, name, number and address free), each failure named.
import { task, workflow, type Definition } from '../../engine/authoring.js';

/** The `gitlab:adopt` workflow. */
export const gitlabAdoptWorkflow: Definition = workflow({
  id: 'gitlab:adopt',
  title: 'Adopt a GitLab instance made outside gravity',
  description:
    'Checks an existing instance (its container exists and mounts the folder, the folder holds mapping-volumes/{data,config,log}, bckups/ holds only backups, its name, number, address and container are not in the inventory, its GitLab version is known) and records it active. Every failed check is named. Nothing but the record is written; rollback removes it.',
  params: {
    name: {
      type: 'string',
      pattern: '^[a-z0-9][a-z0-9-]{0,39}$',
      description: 'The name it gets in the inventory: lower-case letters, digits and dashes, at most 40.',
    },
    container: {
      type: 'string',
      pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$',
      description: 'Its container, as docker ps names it.',
    },
    dir: {
      type: 'string',
      path: true,
      description: 'Its folder (mapping-volumes/{data,config,log}, bckups/); noeud-gitlab-<n> gives its number.',
    },
    ip: {
      type: 'string',
      required: false,
      description: 'Its address; default: the host of its external_url (gitlab.rb, else GITLAB_OMNIBUS_CONFIG).',
    },
  },
  steps: task(
    'adopt',
    'gitlab.adopt',
    { name: '=name', container: '=container', dir: '=dir', ip: '=get value(params, "ip")' },
    { title: 'check it and record it' },
  ),
  output:
    '={name: name, url: steps.adopt.record.url, ip: steps.adopt.record.ip, number: steps.adopt.record.number, dir: steps.adopt.record.dir, container: steps.adopt.record.container, network: steps.adopt.record.network, version: steps.adopt.record.version, containerStatus: steps.adopt.containerStatus, backups: steps.adopt.backups}',
});
