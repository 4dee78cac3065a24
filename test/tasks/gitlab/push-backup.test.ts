// gitlab.push-backup's helpers: reading a target (never an option: a leading - anywhere is refused), where the copy
// goes, and what rsync's itemized dry run and rclone's hashes say of a copy. End to end: test/workflows/gitlab-backup-remote.test.ts.
import { describe, expect, it } from 'vitest';
import { gitlabPushBackup } from '../../../tasks/index.js';
import {
  compareHashes,
  destinationOf,
  parseItemized,
  parseTarget,
  sshCommand,
} from '../../../tasks/gitlab/support-remote.js';

describe('parseTarget', () => {
  it.each([
    ['/srv/remote', { kind: 'local', path: '/srv/remote' }],
    ['backups', { kind: 'local', path: '/work/r/backups' }],
    ['./a:b', { kind: 'local', path: '/work/r/a:b' }],
    ['root@127.0.0.101:/srv/b', { kind: 'ssh', user: 'root', host: '127.0.0.101', path: '/srv/b' }],
    ['nas:backups', { kind: 'ssh', user: undefined, host: 'nas', path: 'backups' }],
    ['rclone:dav:backups/gitlab', { kind: 'rclone', remote: 'dav', path: 'backups/gitlab' }],
    ['rclone:s3:', { kind: 'rclone', remote: 's3', path: '' }],
  ])('reads %j', (to, target) => {
    expect(parseTarget(to, '/work/r')).toEqual(target);
  });

  it.each([
    ['-oProxyCommand=touch /tmp/x', 'the target of "-oProxyCommand=touch /tmp/x" starts with "-"'],
    ['root@-oProxyCommand=x:/srv', 'the host of "root@-oProxyCommand=x:/srv" starts with "-"'],
    ['root@127.0.0.101:-e.sh', 'the path of "root@127.0.0.101:-e.sh" starts with "-"'],
    ['x@-h:/srv', 'the host of "x@-h:/srv" starts with "-"'],
    ['a@-b@c:/srv', 'is not a user name'],
    ['rclone:-x:path', 'the remote of "rclone:-x:path" starts with "-"'],
    ['rclone:dav:--delete', 'the path of "rclone:dav:--delete" starts with "-"'],
    ['rclone:nocolon', 'is not rclone:<remote>:<path>'],
    ['host\n:/x', 'control character'],
    ['ho st:/x', 'is not a host name'],
    ['', 'an empty target'],
  ])('refuses %j', (to, message) => {
    expect(() => parseTarget(to, '/work/r')).toThrow(message);
  });

  it('puts the copy under <path>/<instance>/<id>', () => {
    const id = '20261204T020000Z';
    expect(destinationOf(parseTarget('/srv/b/', '/'), 'alpha', id)).toBe(`/srv/b/alpha/${id}`);
    expect(destinationOf(parseTarget('root@h:', '/'), 'alpha', id)).toBe(`root@h:alpha/${id}`);
    expect(destinationOf(parseTarget('h:/', '/'), 'alpha', id)).toBe(`h:/alpha/${id}`);
    expect(destinationOf(parseTarget('rclone:s3:bucket/x', '/'), 'alpha', id)).toBe(`s3:bucket/x/alpha/${id}`);
    expect(destinationOf(parseTarget('rclone:dav:', '/'), 'alpha', id)).toBe(`dav:alpha/${id}`);
  });
});

describe('sshCommand', () => {
  it('checks host keys strictly, never prompts, and quotes paths with spaces for rsync', () => {
    expect(sshCommand({ port: 2222, identity: '/k/id key', knownHosts: '/k/known' })).toBe(
      "ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -o ConnectTimeout=20 -p 2222 -i '/k/id key' -o IdentitiesOnly=yes -o UserKnownHostsFile=/k/known",
    );
    expect(() => sshCommand({ identity: "/k/it's" })).toThrow('may not hold quotes');
  });
});

describe('parseItemized', () => {
  it('tells missing, different and extra files from attributes a receiver may not keep', () => {
    const out = [
      'created directory /x/y',
      'cd+++++++++ ./',
      '>f+++++++++ manifest.json',
      '*deleting   data/extra',
      '>fc........ data/a',
      '>f.s....... data/b',
      '.f...p..... data/c',
      '.f....og... data/d',
      'cL+++++++++ data/l -> a',
      '>f..t...... data/e',
    ].join('\n');
    expect(parseItemized(out)).toEqual({
      differences: [
        'differs: data/a',
        'differs: data/b',
        'differs: data/c',
        'extra: data/extra',
        'missing: data/l',
        'missing: manifest.json',
      ],
      attributes: ['data/d', 'data/e'],
      manifest: 'missing',
    });
    expect(parseItemized('').differences).toEqual([]);
    expect(parseItemized('>fc........ manifest.json').manifest).toBe('differs');
  });
});

describe('compareHashes', () => {
  it('names what the copy lacks, has wrong or has besides', () => {
    const want = new Map([
      ['a', '1'],
      ['b', '2'],
      ['manifest.json', 'm'],
    ]);
    expect(
      compareHashes(
        want,
        new Map([
          ['a', '1'],
          ['b', 'x'],
          ['c', '3'],
        ]),
      ),
    ).toEqual({ missing: ['manifest.json'], differs: ['b'], extra: ['c'], manifest: 'missing' });
  });
});

describe('gitlab.push-backup plan', () => {
  it('shows the rclone commands, the manifest last', () => {
    const lines = gitlabPushBackup.plan(
      gitlabPushBackup.input.parse({ instance: 'alpha', to: 'rclone:dav:b', rcloneConfig: '/c/rclone.conf' }),
    );
    expect(lines.join('\n')).toContain(
      'rclone --config /c/rclone.conf --links hashsum sha256 --download -- dav:b/alpha/latest',
    );
    expect(lines[lines.length - 2]).toMatch(/^then the manifest, last: rclone .* copyto/);
  });
});
