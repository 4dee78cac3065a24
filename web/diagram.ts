// A workflow's BPMN diagram in bpmn-js's navigated viewer (pan with the mouse, zoom with the wheel), its elements
// coloured by their step's state with markers (CSS classes `st-<state>` on the element's SVG group).
import type { BpmnViewer, DiagramElement } from './bpmn.js';
import { h } from './dom.js';

export type ElementState = 'done' | 'failed' | 'running' | 'waiting' | 'cancelled' | 'skipped';
const MARKERS: ElementState[] = ['done', 'failed', 'running', 'waiting', 'cancelled', 'skipped'];

/** Elements that are steps a run executes (the others: events, gateways, flows, labels). */
const isActivity = (e: DiagramElement) =>
  /(Task|CallActivity|SubProcess|Transaction)$/.test(e.type) ||
  e.type === 'bpmn:IntermediateCatchEvent' ||
  e.type === 'bpmn:IntermediateThrowEvent';

export class Diagram {
  readonly element: HTMLElement;
  private readonly canvasEl: HTMLElement;
  private viewer: BpmnViewer | undefined;
  private ids = new Set<string>();
  private shown = new Map<string, ElementState>();
  private selected: string | undefined;
  private selectFn: (id: string) => void = () => undefined;
  private resize: ResizeObserver | undefined;

  constructor(className = '') {
    this.canvasEl = h('div', { class: 'diagram-canvas' });
    this.element = h('div', { class: `diagram ${className}` }, this.canvasEl);
  }

  /** Shows the diagram (the element must be in the document, for the viewer to measure it). */
  async load(xml: string): Promise<void> {
    const BpmnJS = window.BpmnJS;
    if (!BpmnJS) throw new Error('the BPMN viewer did not load (assets/bpmn/bpmn-viewer.js)');
    this.viewer = new BpmnJS({ container: this.canvasEl });
    await this.viewer.importXML(xml);
    const canvas = this.viewer.get('canvas');
    this.fit();
    this.ids = new Set(
      this.viewer
        .get('elementRegistry')
        .getAll()
        .map((e) => e.id),
    );
    this.viewer.get('eventBus').on('element.click', (e) => {
      if (isActivity(e.element)) this.selectFn(e.element.id);
    });
    // fit again when the page's layout changes the canvas's size (but not after the user zoomed: only on a real resize)
    let last = `${this.canvasEl.clientWidth}x${this.canvasEl.clientHeight}`;
    this.resize = new ResizeObserver(() => {
      const now = `${this.canvasEl.clientWidth}x${this.canvasEl.clientHeight}`;
      if (now === last || !this.viewer) return;
      last = now;
      canvas.resized();
      this.fit();
    });
    this.resize.observe(this.canvasEl);
  }

  /**
   * The diagram element a step is drawn as, if any: a for-each item `<step>:<i>` (`<step>.<n>:<i>` when a loop entered
   * the for-each again) is drawn as its for-each `<step>`.
   */
  elementOf(step: string): string | undefined {
    let id = step;
    for (;;) {
      if (this.ids.has(id)) return id;
      const safe = id.replace(/[^A-Za-z0-9_-]/g, '_');
      if (this.ids.has(safe)) return safe;
      let up = id.replace(/:[^:]*$/, '');
      if (up === id) up = id.replace(/\.\d+$/, '');
      if (up === id) return undefined;
      id = up;
    }
  }

  /** The name drawn on an element. */
  nameOf(id: string): string | undefined {
    return this.viewer?.get('elementRegistry').get(id)?.businessObject?.name;
  }

  /** The start and end events' ids. */
  events(): { start: string[]; end: string[] } {
    const all = this.viewer?.get('elementRegistry').getAll() ?? [];
    return {
      start: all.filter((e) => e.type === 'bpmn:StartEvent').map((e) => e.id),
      end: all.filter((e) => e.type === 'bpmn:EndEvent').map((e) => e.id),
    };
  }

  /** Colours the elements: `states` by element id; once the run ended, the activities with no state are skipped. */
  paint(states: Map<string, ElementState>, ended: boolean): void {
    if (!this.viewer) return;
    const canvas = this.viewer.get('canvas');
    for (const e of this.viewer.get('elementRegistry').getAll()) {
      const want = states.get(e.id) ?? (ended && isActivity(e) ? 'skipped' : undefined);
      const had = this.shown.get(e.id);
      if (want === had) continue;
      if (had) canvas.removeMarker(e.id, `st-${had}`);
      if (want) {
        canvas.addMarker(e.id, `st-${want}`);
        this.shown.set(e.id, want);
      } else this.shown.delete(e.id);
    }
  }

  onSelect(fn: (id: string) => void): void {
    this.selectFn = fn;
  }

  /** Marks the selected element. */
  select(id: string | undefined): void {
    if (!this.viewer) return;
    const canvas = this.viewer.get('canvas');
    if (this.selected && this.ids.has(this.selected)) canvas.removeMarker(this.selected, 'st-selected');
    this.selected = id;
    if (id && this.ids.has(id)) canvas.addMarker(id, 'st-selected');
  }

  /** Zooms to fit, with a margin, and no larger than 1.25 (a short workflow is not blown up). */
  fit(): void {
    const canvas = this.viewer?.get('canvas');
    if (!canvas) return;
    const z = canvas.zoom('fit-viewport', 'auto');
    canvas.zoom(Math.min(z * 0.92, 1.25), 'auto');
  }

  destroy(): void {
    this.resize?.disconnect();
    this.viewer?.destroy();
    this.viewer = undefined;
  }
}

/** A legend of the state colours. */
export function legend(): HTMLElement {
  return h(
    'ul',
    { class: 'legend', 'aria-label': 'colours' },
    MARKERS.map((m) => h('li', null, h('span', { class: `swatch st-${m}` }), m)),
  );
}
