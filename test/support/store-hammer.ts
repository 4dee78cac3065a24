// A child process for the store concurrency test: hammers one key of a JSON store with updates or CAS puts.
// Usage: node --import tsx test/support/store-hammer.ts <dir> <worker> <count> [update|cas]
import { ConflictError } from '../../engine/errors.js';
import { createJsonStore } from '../../engine/store/index.js';

/** What the hammered key holds: one record per successful write. */
export interface HammerValue {
  records: { worker: string; i: number }[];
}

const [dir, worker, countArg, mode = 'update'] = process.argv.slice(2);
const count = Number(countArg);
if (!dir || !worker || !Number.isInteger(count) || !['update', 'cas'].includes(mode)) {
  console.error('usage: store-hammer.ts <dir> <worker> <count> [update|cas]');
  process.exit(2);
}

const store = await createJsonStore(dir);
const key = mode === 'cas' ? 'inventory/cas' : 'inventory/hosts';
let conflicts = 0;
for (let i = 0; i < count; i++) {
  if (mode === 'update') {
    await store.update<HammerValue>(key, (v) => ({ records: [...(v?.records ?? []), { worker, i }] }));
    continue;
  }
  for (;;) {
    const current = await store.get<HammerValue>(key);
    try {
      await store.put<HammerValue>(
        key,
        { records: [...(current?.value.records ?? []), { worker, i }] },
        { ifVersion: current?.version ?? null },
      );
      break;
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      conflicts++;
    }
  }
}
await store.close();
console.log(JSON.stringify({ worker, mode, count, conflicts }));
