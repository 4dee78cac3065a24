// Renders BPMN files to PNG with bpmn-js in headless Chromium, as bpmn.io and Camunda Modeler draw them:
// `npx tsx scripts/render-bpmn.ts <out-dir> <file.bpmn>...` writes <out-dir>/<name>.png, one more PNG per drilled-down
// sub-process (<name>.<sub-process id>.png), and prints bpmn-js's import warnings. Needs Debian's chromium.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** What bpmn-js reported for one file. */
export interface Rendered {
  file: string;
  pngs: string[];
  warnings: string[];
}

/** Renders each file; the browser is started once and closed at the end whatever happens. */
export async function renderBpmn(outDir: string, files: string[]): Promise<Rendered[]> {
  mkdirSync(outDir, { recursive: true });
  const viewer = readFileSync(require.resolve('bpmn-js/dist/bpmn-navigated-viewer.production.min.js'), 'utf8');
  const css = ['diagram-js.css', 'bpmn-js.css', 'bpmn-font/css/bpmn.css']
    .map((f) => readFileSync(require.resolve(`bpmn-js/dist/assets/${f}`), 'utf8'))
    .join('\n');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const results: Rendered[] = [];
    for (const file of files) {
      const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
      await page.setContent(
        `<html><head><style>${css} html,body,#c{margin:0;width:100%;height:100%;background:#fff}</style></head><body><div id="c"></div></body></html>`,
      );
      await page.addScriptTag({ content: viewer });
      const { warnings, planes } = await page.evaluate(
        async (xml: string) => {
          const w = window as unknown as Record<string, any>;
          const v = new w.BpmnJS({ container: '#c' });
          w.viewer = v;
          const r = await v.importXML(xml);
          const planes = v
            .get('canvas')
            .getRootElements()
            .map((e: { id: string }) => e.id);
          return { warnings: r.warnings.map((x: { message: string }) => x.message), planes };
        },
        readFileSync(file, 'utf8'),
      );
      const name = basename(file).replace(/\.(bpmn|xml)$/, '');
      const pngs: string[] = [];
      for (const [n, plane] of planes.entries()) {
        // the drawing at 100 %, cropped to its content with a margin
        const inner = await page.evaluate((id: string) => {
          const canvas = (window as unknown as Record<string, any>).viewer.get('canvas');
          canvas.setRootElement(canvas.getRootElements().find((r: { id: string }) => r.id === id));
          canvas.zoom(1);
          const { x, y, width, height } = canvas.viewbox().inner;
          return { x, y, width, height };
        }, plane);
        const width = Math.min(Math.ceil(inner.width) + 40, 6000);
        const height = Math.min(Math.ceil(inner.height) + 40, 4000);
        await page.setViewportSize({ width, height });
        await page.evaluate(
          (box: { x: number; y: number; width: number; height: number }) =>
            (window as unknown as Record<string, any>).viewer.get('canvas').viewbox(box),
          { x: inner.x - 20, y: inner.y - 20, width, height },
        );
        const png = join(outDir, n === 0 ? `${name}.png` : `${name}.${plane.replace(/_plane$/, '')}.png`);
        await page.screenshot({ path: png });
        pngs.push(png);
      }
      await page.close();
      results.push({ file, pngs, warnings });
    }
    return results;
  } finally {
    await browser.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [outDir, ...files] = process.argv.slice(2);
  if (!outDir || files.length === 0) {
    console.error('usage: tsx scripts/render-bpmn.ts <out-dir> <file.bpmn>...');
    process.exit(2);
  }
  for (const r of await renderBpmn(outDir, files)) {
    console.log(`${r.file}: ${r.pngs.join(', ')}${r.warnings.length ? `\n  warnings: ${r.warnings.join('; ')}` : ''}`);
  }
}
