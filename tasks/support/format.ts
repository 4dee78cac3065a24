// How commands and their output are shown to people: quoted command lines (dry-run plans, errors) and the end of an output.

const SAFE = /^[\w@%+=:,./-]+$/;

/** Quotes one argument the way a POSIX shell user would type it (for display only, never executed). */
export function quoteArg(arg: string): string {
  if (arg !== '' && SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A command line for humans: command and arguments, each quoted when needed. */
export function formatCommand(command: string, args: readonly string[] = []): string {
  return [command, ...args].map(quoteArg).join(' ');
}

/** The last `n` non-empty lines of `text`, joined with newlines. */
export function lastLines(text: string, n = 5): string {
  return text
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .slice(-n)
    .join('\n');
}

/** Rows as a plain-text table: columns padded to their widest cell, trailing spaces cut. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
