// The shape every benchmark returns, and how bench/index.ts prints it (an aligned table plus a JSON payload).

/** A cell value: numbers are printed with the column's `digits`, `null` as an empty cell. */
export type Cell = number | string | null;

/** One column of a result table. */
export interface Column {
  key: string;
  label: string;
  /** Decimals for numbers (default 0). */
  digits?: number;
}

/** What a benchmark hands back: a header to explain it, a table, and free-form notes. */
export interface BenchResult {
  /** Short id, used as the key in the BENCH_JSON line. */
  name: string;
  title: string;
  /** Lines printed before the table: what is measured and how to read it. */
  explain: string[];
  columns: Column[];
  rows: Array<Record<string, Cell>>;
  /** Lines printed after the table. */
  notes?: string[];
  /** Wall-clock time of the whole benchmark, in ms. */
  elapsedMs: number;
}

/** A benchmark as bench/index.ts runs it. */
export interface Benchmark {
  name: string;
  run: () => Promise<BenchResult>;
}

function format(v: Cell | undefined, digits: number): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return String(v);
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Renders rows as a fixed-width text table: text left-aligned, numbers right-aligned. */
export function renderTable(columns: Column[], rows: Array<Record<string, Cell>>): string {
  const cells = rows.map((r) => columns.map((c) => format(r[c.key], c.digits ?? 0)));
  const widths = columns.map((c, i) => Math.max(c.label.length, ...cells.map((row) => row[i].length)));
  const numeric = columns.map((c) => rows.some((r) => typeof r[c.key] === 'number'));
  const pad = (s: string, i: number) => (numeric[i] ? s.padStart(widths[i]) : s.padEnd(widths[i]));
  const line = (row: string[]) => row.map(pad).join('  ').trimEnd();
  return [line(columns.map((c) => c.label)), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join(
    '\n',
  );
}

/** Prints one result: title, explanation, table, notes. */
export function printResult(r: BenchResult, out: (s: string) => void = console.log): void {
  out(`== ${r.title} ==`);
  for (const l of r.explain) out(l);
  out('');
  out(renderTable(r.columns, r.rows));
  if (r.notes?.length) {
    out('');
    for (const l of r.notes) out(l);
  }
  out(`(${r.name} took ${(r.elapsedMs / 1000).toFixed(1)} s)`);
  out('');
}

/** The machine-readable summary: one line, `BENCH_JSON {...}`, with every row of every benchmark. */
export function benchJsonLine(results: BenchResult[], extra: Record<string, unknown> = {}): string {
  const payload = {
    ...extra,
    benchmarks: Object.fromEntries(results.map((r) => [r.name, { elapsedMs: Math.round(r.elapsedMs), rows: r.rows }])),
  };
  return `BENCH_JSON ${JSON.stringify(payload)}`;
}
