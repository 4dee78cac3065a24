// Builds the web view of gravity serve into dist/web (run by `npm run build`): web/main.ts bundled by esbuild, the page
// and its style sheet, and bpmn-js's navigated viewer with its style sheets and font. The files are written to a
// folder of their own and then put in place, so a server reading dist/web never sees half a build.
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'dist', 'web');
const TMP = `${OUT}.tmp-${process.pid}`;
const require = createRequire(import.meta.url);
const BPMN = join(dirname(require.resolve('bpmn-js/package.json')), 'dist');

const copy = (from, to) => {
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
};

rmSync(TMP, { recursive: true, force: true });
try {
  await build({
    entryPoints: [join(ROOT, 'web', 'main.ts')],
    outfile: join(TMP, 'assets', 'app.js'),
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2022',
    platform: 'browser',
    legalComments: 'none',
    logLevel: 'warning',
  });
  copy(join(ROOT, 'web', 'index.html'), join(TMP, 'index.html'));
  copy(join(ROOT, 'web', 'style.css'), join(TMP, 'assets', 'style.css'));
  // the viewer keeps its own layout: assets/bpmn/bpmn-font/css/bpmn.css finds its font in ../font/
  copy(join(BPMN, 'bpmn-navigated-viewer.production.min.js'), join(TMP, 'assets', 'bpmn', 'bpmn-viewer.js'));
  for (const css of ['diagram-js.css', 'bpmn-js.css', 'bpmn-font/css/bpmn.css'])
    copy(join(BPMN, 'assets', css), join(TMP, 'assets', 'bpmn', css));
  const fonts = join(BPMN, 'assets', 'bpmn-font', 'font');
  for (const f of readdirSync(fonts)) copy(join(fonts, f), join(TMP, 'assets', 'bpmn', 'bpmn-font', 'font', f));
  // another build finishing at the same moment may put its folder in place between the two: try again
  for (let attempt = 1; ; attempt++) {
    try {
      if (existsSync(OUT)) rmSync(OUT, { recursive: true, force: true });
      renameSync(TMP, OUT);
      break;
    } catch (e) {
      if (attempt >= 5 || !['ENOTEMPTY', 'EEXIST', 'ENOENT'].includes(e.code)) throw e;
    }
  }
} catch (e) {
  rmSync(TMP, { recursive: true, force: true });
  console.error(`build-web: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
