// A platform's projects made at test time as real git repositories (bare remotes with one commit on main): `web` brings
// site v5 (port 8080, depends on api) and a *-dist configuration; `back` brings site api (port 8081, depends on the
// service db) with a tool on db, a shell provisioning script and a Vagrantfile template. And, for the docker provider,
// a busybox image whose command serves "site <machine>" on the machine's own address (GRAVITY_IP) and port.
import { join } from 'node:path';
import type { TestDocker } from './docker.js';
import { buildBusyboxImage } from './docker.js';
import { commitFiles, git, tempDir } from './git-fixtures.js';

/** The two projects' remotes. */
export interface PlatformRepos {
  web: string;
  back: string;
}

/** Makes a bare repository `name`.git under `root` holding `files` on main; returns its path. */
function repo(root: string, name: string, files: Record<string, string>): string {
  const bare = join(root, `${name}.git`);
  git(root, 'init', '-q', '--template=', '--bare', '-b', 'main', bare);
  const work = join(root, `${name}-work`);
  git(root, 'clone', '-q', '--template=', bare, work);
  git(work, 'config', 'user.name', 'Fixture');
  git(work, 'config', 'user.email', 'fixture@example.test');
  git(work, 'symbolic-ref', 'HEAD', 'refs/heads/main');
  commitFiles(work, `${name}: first`, files);
  git(work, 'push', '-q', '-u', 'origin', 'main');
  return bare;
}

/** The fixture platform's two projects, as bare repositories in a temp folder. */
export function platformRepos(): PlatformRepos & { root: string } {
  const root = tempDir('gravity-platform-repos-');
  const web = repo(root, 'web', {
    'gravity-project.json': JSON.stringify(
      {
        format: 1,
        sites: { v5: { port: 8080, title: 'V5 front', depends: ['api'], path: 'sites/v5' } },
        defaultSites: ['v5'],
      },
      null,
      2,
    ),
    'sites/v5/index.html': '<h1>v5</h1>\n',
    'sites/v5/config/app.conf-dist': 'url = {{V5_URL}}\napi = http://{{API_IP}}:{{API_PORT}}/\nenv = {{ENV}}\n',
  });
  const back = repo(root, 'back', {
    'gravity-project.json': JSON.stringify(
      {
        format: 1,
        sites: { api: { port: 8081, title: 'API', depends: ['db'] } },
        services: { db: { port: 3306 } },
        tools: [{ name: 'phpMyAdmin', on: 'db', port: 8082, path: '/' }],
        provision: 'provision.sh',
      },
      null,
      2,
    ),
    'provision.sh': '#!/bin/sh\necho "provisioning $GRAVITY_MACHINE"\n',
    'Vagrantfile-dist': '# the project template of environment {{ENV}}: gravity generates the real one\n',
    'db.env-dist': 'DB_HOST={{DB_HOST}}\nDB_IP={{DB_IP}}\n',
  });
  return { root, web, back };
}

/** The image every machine of the docker provider runs: busybox httpd on GRAVITY_IP, port by machine. */
export const MACHINE_IMAGE = 'gravity-test/env-machine:1';

/** Builds MACHINE_IMAGE on the test dockerd. */
export function buildMachineImage(d: TestDocker): void {
  const serve = [
    '#!/bin/sh',
    '# the port of each machine of the fixture platform',
    'case "$GRAVITY_MACHINE" in v5) port=8080 ;; api) port=8081 ;; *) port=3306 ;; esac',
    'mkdir -p /tmp/www',
    'echo "site $GRAVITY_MACHINE of $GRAVITY_ENV" > /tmp/www/index.html',
    '# (as pid 1, a process without a handler ignores SIGTERM: the trap lets docker stop end it at once)',
    'httpd -f -p "$GRAVITY_IP:$port" -h /tmp/www &',
    "trap 'kill $!; exit 0' TERM INT",
    'wait',
    '',
  ].join('\n');
  buildBusyboxImage(d, MACHINE_IMAGE, { '/usr/local/bin/serve': serve }, 'CMD ["/usr/local/bin/serve"]');
}
