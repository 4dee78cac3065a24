// What every command writes the same way, in a module that loads nothing: exit codes and JSON text. cli/main.ts needs
// them before it knows which command runs (usage errors), without the engine that cli/format.ts imports.

/** Exit codes of the CLI. */
export const Exit = { Ok: 0, Failed: 1, BadInput: 2, NeedsAttention: 3, Waiting: 4, Cancelled: 130 } as const;

/** Every `--json` document, results and errors alike: pretty-printed with two spaces, one trailing newline. */
export function jsonText(data: unknown): string {
  return `${JSON.stringify(data, null, 2)}\n`;
}
