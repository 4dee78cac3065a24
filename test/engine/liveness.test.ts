// A running run is "live" only while its own process runs: a dead pid, another host or a reused pid are not it.
import { describe, expect, it } from 'vitest';
import { hostname } from 'node:os';
import { isRunLive, startTimeOf, type RunRecord } from '../../engine/index.js';

const base: RunRecord = {
  id: 'r',
  workflow: 'w:x',
  definitionHash: 'h',
  source: { kind: 'inline' },
  params: {},
  status: 'running',
  host: hostname(),
  createdAt: '',
  updatedAt: '',
};

describe('run liveness', () => {
  it.each([
    ['the live process that started it', { pid: process.ppid, pidStart: startTimeOf(process.ppid) }, true],
    [
      'a reused pid (same number, another process start time)',
      { pid: process.ppid, pidStart: (startTimeOf(process.ppid) ?? 0) + 1 },
      false,
    ],
    ['a dead pid', { pid: 2 ** 22 + 7, pidStart: 1 }, false],
    ['another host', { pid: process.ppid, pidStart: startTimeOf(process.ppid), host: 'elsewhere' }, false],
    ['a finished run', { pid: process.ppid, pidStart: startTimeOf(process.ppid), status: 'succeeded' as const }, false],
  ])('tells %s', (_what, patch, live) => {
    expect(isRunLive({ ...base, ...patch })).toBe(live);
  });
});
