// Which files a `gravity` command loads: the start benchmark counts them, a CLI test checks `--help` loads no engine.
// Node has no list of the ES modules it loaded, so the child gets two small files: a preload (`--import`) that registers
// a load hook (every file: URL the ES loader loads) and, on exit, adds the CommonJS modules of require.cache (those that
// CommonJS packages such as pino require never reach the hook). Both write to a list file, read back here.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The gravity binary. */
export const GRAVITY_BIN = resolve(import.meta.dirname, '../bin/gravity.mjs');

const PRELOAD = `import { register, createRequire } from 'node:module';
import { appendFileSync } from 'node:fs';
const out = process.env.GRAVITY_MODULE_LIST;
register(new URL('./module-hooks.mjs', import.meta.url), { data: { out } });
const require = createRequire(import.meta.url);
process.on('exit', () => appendFileSync(out, Object.keys(require.cache).map((f) => f + '\\n').join('')));
`;

const HOOKS = `import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
let out;
export function initialize(data) { out = data.out; }
export async function load(url, context, next) {
  if (url.startsWith('file:')) appendFileSync(out, fileURLToPath(url) + '\\n');
  return next(url, context);
}
`;

/** What one command loaded: the files (absolute paths, once each) and how it ended. */
export interface Loaded {
  files: string[];
  status: number | null;
  stdout: string;
}

/**
 * Runs `gravity <args>` with the preload in `dir` (created if need be) and returns the files it loaded, its own preload
 * left out. `env` is the child's environment (a GRAVITY_HOME of its own, say).
 */
export function loadedModules(dir: string, args: string[], env: NodeJS.ProcessEnv): Loaded {
  mkdirSync(dir, { recursive: true });
  const preload = join(dir, 'module-preload.mjs');
  writeFileSync(preload, PRELOAD);
  writeFileSync(join(dir, 'module-hooks.mjs'), HOOKS);
  const list = join(dir, 'modules.txt');
  rmSync(list, { force: true });
  const r = spawnSync(process.execPath, ['--import', preload, GRAVITY_BIN, ...args], {
    env: { ...env, GRAVITY_MODULE_LIST: list },
    encoding: 'utf8',
  });
  const own = new Set([preload, join(dir, 'module-hooks.mjs'), fileURLToPath(import.meta.url)]);
  const files = existsSync(list)
    ? [
        ...new Set(
          readFileSync(list, 'utf8')
            .split('\n')
            .filter((f) => f && !own.has(f)),
        ),
      ]
    : [];
  return { files, status: r.status, stdout: r.stdout };
}

/** The package a loaded file belongs to (`execa`, `@sec-ant/readable-stream`), or `gravity/<folder>` for our own. */
export function packageOf(file: string): string {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file.slice(file.lastIndexOf('node_modules/')));
  if (m) return m[1];
  const rel = file.startsWith(resolve(import.meta.dirname, '..'))
    ? file.slice(resolve(import.meta.dirname, '..').length + 1)
    : file;
  return `gravity/${rel.replace(/^dist\//, '').split('/')[0]}`;
}
