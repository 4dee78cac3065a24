// host.check-tool against the real host: finds git, reports a missing tool without failing, probes a "daemon".
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { hostCheckTool } from '../../../tasks/host/check-tool.js';
import { tempDir } from '../../support/git-fixtures.js';
import { runTask } from '../context.js';

let root: string;
beforeEach(() => {
  root = tempDir('gravity-tasks-');
});

describe('host.check-tool', () => {
  it('finds git in PATH and reads its version', async () => {
    const out = await runTask(hostCheckTool, { tool: 'git', command: 'git', versionArgs: ['--version'] }, { root });
    expect(out).toMatchObject({ tool: 'git', found: true, ok: true });
    expect(out.path).toMatch(/\/git$/);
    expect(out.version).toMatch(/^\d+\.\d+/);
  });

  it('reports a missing tool as found: false without failing', async () => {
    const out = await runTask(
      hostCheckTool,
      { tool: 'nothing', command: 'gravity-no-such-tool-xyz', versionArgs: ['--version'] },
      { root },
    );
    expect(out).toEqual({
      tool: 'nothing',
      found: false,
      ok: false,
      detail: 'gravity-no-such-tool-xyz not found in PATH',
    });
  });

  it('searches extra folders, and only executable files count', async () => {
    const sbin = join(root, 'sbin');
    await mkdir(sbin);
    await writeFile(join(sbin, 'gravity-fake-named'), '#!/bin/sh\necho "BIND 9.18.24-1 (Extended Support Version)"\n');
    const input = {
      tool: 'named',
      command: 'gravity-fake-named',
      versionArgs: ['-v'],
      versionPattern: 'BIND (\\d+\\.\\d+\\.\\d+)',
      alsoSearch: [sbin],
    };
    expect(await runTask(hostCheckTool, input, { root })).toMatchObject({ found: false });
    await chmod(join(sbin, 'gravity-fake-named'), 0o755);
    expect(await runTask(hostCheckTool, input, { root })).toEqual({
      tool: 'named',
      found: true,
      ok: true,
      path: join(sbin, 'gravity-fake-named'),
      version: '9.18.24',
    });
  });

  it('reads a version printed on stderr', async () => {
    const input = {
      tool: 'ssh',
      command: 'sh',
      versionArgs: ['-c', 'echo "OpenSSH_9.2p1 Debian-2, OpenSSL 3.0.11" >&2'],
      versionPattern: 'OpenSSH_([\\w.]+)',
    };
    expect(await runTask(hostCheckTool, input, { root })).toMatchObject({ ok: true, version: '9.2p1' });
  });

  it.each([
    [['-c', 'exit 0'], true, undefined],
    [
      ['-c', 'echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock" >&2; echo more >&2; exit 1'],
      false,
      'daemon not reachable: Cannot connect to the Docker daemon at unix:///var/run/docker.sock',
    ],
  ])('runs the probe %j and sets ok=%s', async (args, ok, detail) => {
    const input = {
      tool: 'docker',
      command: 'sh',
      versionArgs: ['-c', 'echo Docker version 27.1.1, build 6312585'],
      probe: { args, label: 'daemon' },
    };
    const out = await runTask(hostCheckTool, input, { root });
    expect(out).toMatchObject({ found: true, version: '27.1.1', ok });
    expect(out.detail).toBe(detail);
  });
});
