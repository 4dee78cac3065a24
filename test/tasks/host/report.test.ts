// host.report: an aligned table of tool checks with a count of what is available.
import { describe, expect, it } from 'vitest';
import { hostReport } from '../../../tasks/host/report.js';
import { runTask } from '../context.js';

const checks = [
  { tool: 'git', found: true, path: '/usr/bin/git', version: '2.39.5', ok: true },
  {
    tool: 'docker',
    found: true,
    path: '/usr/bin/docker',
    version: '27.1.1',
    ok: false,
    detail: 'daemon not reachable: permission denied',
  },
  { tool: 'vagrant', found: false, ok: false, detail: 'vagrant not found in PATH' },
];

describe('host.report', () => {
  it('renders an aligned table and counts the tools available', async () => {
    const out = await runTask(hostReport, { checks, title: 'Host tools' }, { root: '/nonexistent' });
    expect(out.report).toBe(
      [
        'Host tools',
        '',
        'tool        version  path / detail',
        '-------  -  -------  -------------',
        'git      ✔  2.39.5   /usr/bin/git',
        'docker   ✖  27.1.1   daemon not reachable: permission denied',
        'vagrant  ✖  -        vagrant not found in PATH',
        '',
        '1 of 3 tools available',
      ].join('\n'),
    );
    expect(out).toMatchObject({ available: 1, missing: ['docker', 'vagrant'], tools: checks });
  });

  it('reports an empty list without a title', async () => {
    const out = await runTask(hostReport, { checks: [] }, { root: '/nonexistent' });
    expect(out.report.split('\n').at(-1)).toBe('0 of 0 tools available');
    expect(out.report.startsWith('tool')).toBe(true);
  });
});
