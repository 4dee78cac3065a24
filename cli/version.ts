// gravity's version, from package.json: two folders up from dist/<folder>/ (built), one up from <folder>/ (under tsx).
import { readFileSync } from 'node:fs';

/** The version in package.json, or `unknown` when it cannot be read. */
export function packageVersion(): string {
  for (const up of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'gravity' && pkg.version) return pkg.version;
    } catch {
      // not this folder: try the next one
    }
  }
  return 'unknown';
}
