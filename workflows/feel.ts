// Small builders of FEEL expression text shared by workflow definitions (girofle:sync, the galaxy scenarios): quoting, joining.

/** `text` as a FEEL string literal: double quotes, with `"`, `\` and control characters escaped (JSON's escapes, which FEEL reads). */
export function feelString(text: string): string {
  return JSON.stringify(text);
}

/** An expression input (`=...`): the FEEL string expressions `parts`, joined with newlines. */
export function feelLines(...parts: string[]): string {
  return `=${parts.join(' + "\\n" + ')}`;
}

/** The FEEL text of an input value: the expression of an `=...` input, else the value as a FEEL string literal. */
export function feelOf(input: string): string {
  return input.startsWith('=') ? input.slice(1) : feelString(input);
}

/** An expression input (`=...`): the path `path` (relative, `/`-separated) inside the folder the input `dir` names. */
export function pathIn(dir: string, path: string): string {
  return `=${feelOf(dir)} + ${feelString(`/${path}`)}`;
}
