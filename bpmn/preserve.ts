// What an imported BPMN file carries beyond the definition: its diagram and other vendors' extensions, kept as JSON for re-export.
import type { Moddle, ModdleElement } from './moddle.js';
import { dialects } from './dialects/index.js';

type Box = [number, number, number, number];

/** A BPMNDiagram in JSON: shapes and edges by the id of the element they draw. */
export interface StoredDiagram {
  id?: string;
  planeId?: string;
  shapes: Array<{ id: string; el: string; b: Box; expanded?: boolean; marker?: boolean; label?: Box }>;
  edges: Array<{ id: string; el: string; points: Array<[number, number]>; label?: Box }>;
}

/** An extension element of another vendor, in JSON. */
export interface ForeignElement {
  type: string;
  uri?: string;
  attrs: Record<string, unknown>;
  body?: string;
  children: ForeignElement[];
}

/** Foreign data of one element: attributes and extension elements of namespaces gravity does not know. */
export interface ForeignData {
  attrs?: Record<string, string>;
  ext?: ForeignElement[];
}

const box = (b: ModdleElement | undefined): Box | undefined => (b ? [b.x, b.y, b.width, b.height] : undefined);

/** Reads the first diagram of a definitions element. */
export function captureDiagram(definitions: ModdleElement): StoredDiagram | undefined {
  const d = (definitions.diagrams ?? [])[0] as ModdleElement | undefined;
  const plane = d?.plane as ModdleElement | undefined;
  if (!plane) return undefined;
  const out: StoredDiagram = { id: d!.id, planeId: plane.id, shapes: [], edges: [] };
  for (const e of (plane.planeElement ?? []) as ModdleElement[]) {
    const el = (e.bpmnElement as ModdleElement | undefined)?.id;
    if (!el) continue;
    const label = box(e.label?.bounds);
    if (e.$type === 'bpmndi:BPMNShape') {
      out.shapes.push({
        id: e.id!,
        el,
        b: box(e.bounds)!,
        ...(e.isExpanded !== undefined ? { expanded: e.isExpanded } : {}),
        ...(e.isMarkerVisible !== undefined ? { marker: e.isMarkerVisible } : {}),
        ...(label ? { label } : {}),
      });
    } else if (e.$type === 'bpmndi:BPMNEdge') {
      out.edges.push({
        id: e.id!,
        el,
        points: ((e.waypoint ?? []) as ModdleElement[]).map((p) => [p.x, p.y]),
        ...(label ? { label } : {}),
      });
    }
  }
  return out;
}

function collect(container: ModdleElement, into: Map<string, ModdleElement>): void {
  for (const e of (container.flowElements ?? []) as ModdleElement[]) {
    into.set(e.id!, e);
    if (e.flowElements) collect(e, into);
  }
}

/** Re-creates a stored diagram when it draws every element of the process; false means "lay it out afresh". */
export function restoreDiagram(
  moddle: Moddle,
  definitions: ModdleElement,
  process: ModdleElement,
  d: StoredDiagram,
): boolean {
  const els = new Map<string, ModdleElement>();
  collect(process, els);
  const drawn = new Set([...d.shapes.map((s) => s.el), ...d.edges.map((e) => e.el)]);
  for (const id of els.keys()) if (!drawn.has(id)) return false;
  const bounds = (b: Box) => moddle.create('dc:Bounds', { x: b[0], y: b[1], width: b[2], height: b[3] });
  const planeElement: ModdleElement[] = [];
  for (const s of d.shapes) {
    const el = els.get(s.el);
    if (!el) continue;
    const shape = moddle.create('bpmndi:BPMNShape', { id: s.id, bpmnElement: el, bounds: bounds(s.b) });
    if (s.expanded !== undefined) shape.isExpanded = s.expanded;
    if (s.marker !== undefined) shape.isMarkerVisible = s.marker;
    if (s.label) shape.label = moddle.create('bpmndi:BPMNLabel', { bounds: bounds(s.label) });
    planeElement.push(shape);
  }
  for (const e of d.edges) {
    const el = els.get(e.el);
    if (!el) continue;
    const edge = moddle.create('bpmndi:BPMNEdge', {
      id: e.id,
      bpmnElement: el,
      waypoint: e.points.map(([x, y]) => moddle.create('dc:Point', { x, y })),
    });
    if (e.label) edge.label = moddle.create('bpmndi:BPMNLabel', { bounds: bounds(e.label) });
    planeElement.push(edge);
  }
  const plane = moddle.create('bpmndi:BPMNPlane', {
    id: d.planeId ?? `BPMNPlane_${process.id}`,
    bpmnElement: process,
    planeElement,
  });
  definitions.diagrams = [moddle.create('bpmndi:BPMNDiagram', { id: d.id ?? `BPMNDiagram_${process.id}`, plane })];
  return true;
}

/** Prefixes of BPMN itself (model, DI, XML Schema instance): never another vendor's. */
const BPMN_PREFIXES = ['bpmn', 'bpmndi', 'dc', 'di', 'xsi'];
/** Prefixes whose attributes and elements are not another vendor's: BPMN's and every dialect's. */
const OWN_PREFIXES: ReadonlySet<string> = new Set([...BPMN_PREFIXES, ...dialects.map((d) => d.prefix)]);

/** True when `prefix` is BPMN's or a dialect's: its attributes, elements and namespace declaration are not kept as foreign data. */
export function isOwnPrefix(prefix: string): boolean {
  return OWN_PREFIXES.has(prefix);
}

/** True when a qualified name (`camunda:type`, `xmlns:foo`) is BPMN's, a dialect's or a namespace declaration. */
const isOwnName = (name: string): boolean => {
  const prefix = name.split(':')[0];
  return prefix === 'xmlns' || isOwnPrefix(prefix);
};

function toForeign(e: ModdleElement): ForeignElement {
  const attrs = Object.fromEntries(Object.entries(e).filter(([k]) => !k.startsWith('$')));
  return {
    type: e.$type,
    ...(e.$descriptor?.ns?.uri ? { uri: e.$descriptor.ns.uri } : {}),
    attrs,
    ...(e.$body !== undefined ? { body: e.$body } : {}),
    children: ((e.$children ?? []) as ModdleElement[]).map(toForeign),
  };
}

/** Attributes and extension elements of other vendors on `el`, or undefined. */
export function captureForeign(el: ModdleElement): ForeignData | undefined {
  const attrs = Object.fromEntries(Object.entries(el.$attrs ?? {}).filter(([k]) => k.includes(':') && !isOwnName(k)));
  const ext = ((el.extensionElements?.values ?? []) as ModdleElement[])
    .filter((v) => !isOwnName(v.$type))
    .map(toForeign);
  if (!Object.keys(attrs).length && !ext.length) return undefined;
  return { ...(Object.keys(attrs).length ? { attrs } : {}), ...(ext.length ? { ext } : {}) };
}

function fromForeign(moddle: Moddle, f: ForeignElement): ModdleElement {
  const any = (
    moddle as unknown as { createAny(n: string, uri: string | undefined, p: object): ModdleElement }
  ).createAny(f.type, f.uri, { ...f.attrs });
  if (f.body !== undefined) any.$body = f.body;
  if (f.children.length) any.$children = f.children.map((c) => fromForeign(moddle, c));
  return any;
}

/** Puts back what captureForeign() kept (from a state's `meta.bpmn.foreign`). */
export function restoreForeign(moddle: Moddle, el: ModdleElement, bpmn: unknown): void {
  const f = (bpmn as { foreign?: ForeignData } | undefined)?.foreign;
  if (!f) return;
  for (const [k, v] of Object.entries(f.attrs ?? {})) el.$attrs[k] = v;
  if (f.ext?.length) {
    el.extensionElements ??= moddle.create('bpmn:ExtensionElements', { values: [] });
    el.extensionElements.get('values').push(...f.ext.map((x) => fromForeign(moddle, x)));
  }
}
