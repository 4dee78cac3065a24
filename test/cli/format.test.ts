// What a person reads at the end of a cancelled run: resumable, or over because its cleanup ran.
import { describe, expect, it } from 'vitest';
import { formatResult } from '../../cli/format.js';
import type { RunResult } from '../../engine/index.js';

const base: RunResult = { runId: 'r-1', workflow: 'ops:backup', status: 'cancelled', steps: [] };

describe('formatResult of a cancelled run', () => {
  it('says how to resume a run cancelled outside any cleanup', () => {
    expect(formatResult(base)).toContain('■ ops:backup cancelled — resume with: gravity resume r-1');
  });

  it('says the run is over when its cleanup ran after the cancel, and never offers resume', () => {
    const out = formatResult({
      ...base,
      error: { name: 'CancelledError', code: 'CANCELLED', message: 'run cancelled in <guard>' },
    });
    expect(out).toContain('■ ops:backup cancelled; its cleanup ran, so the run is over (start a new run) — run r-1');
    expect(out).not.toContain('gravity resume');
  });
});
