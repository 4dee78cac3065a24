// Reads the diagram of BPMN XML and measures what makes it hard to read: edge segments that cross a shape other than
// their flow's source and target, and how wide each plane is.
import { createModdle, type ModdleElement } from '../../bpmn/moddle.js';

/** A segment of a flow's edge that passes through a shape it does not connect. */
export interface Crossing {
  flow: string;
  shape: string;
  segment: [number, number, number, number];
}

/** What one diagram plane (the process, or a collapsed sub-process) looks like. */
export interface PlaneMeasure {
  plane: string;
  width: number;
  height: number;
  shapes: number;
  crossings: Crossing[];
}

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The segment (x1,y1)-(x2,y2) passes through the inside of `r` shrunk by `inset` (touching a border does not count). */
export function segmentCrossesRect(x1: number, y1: number, x2: number, y2: number, r: Rect, inset = 2): boolean {
  const left = r.x + inset;
  const right = r.x + r.w - inset;
  const top = r.y + inset;
  const bottom = r.y + r.h - inset;
  if (left >= right || top >= bottom) return false;
  // Liang-Barsky clipping: does any part of the segment lie strictly inside the rectangle?
  let t0 = 0;
  let t1 = 1;
  const dx = x2 - x1;
  const dy = y2 - y1;
  const edges: Array<[number, number]> = [
    [-dx, x1 - left],
    [dx, right - x1],
    [-dy, y1 - top],
    [dy, bottom - y1],
  ];
  for (const [p, q] of edges) {
    if (p === 0) {
      if (q <= 0) return false;
      continue;
    }
    const t = q / p;
    if (p < 0) {
      if (t > t1) return false;
      if (t > t0) t0 = t;
    } else {
      if (t < t0) return false;
      if (t < t1) t1 = t;
    }
  }
  return t1 - t0 > 1e-9;
}

/** Measures every plane of `xml`: its extent and every crossing of an edge segment through a foreign shape. */
export async function measureDiagram(xml: string): Promise<PlaneMeasure[]> {
  const { rootElement } = await createModdle().fromXML(xml);
  const out: PlaneMeasure[] = [];
  for (const diagram of (rootElement.diagrams ?? []) as ModdleElement[]) {
    const plane = diagram.plane as ModdleElement;
    const items = (plane.planeElement ?? []) as ModdleElement[];
    const shapes = items.filter((i) => i.$type === 'bpmndi:BPMNShape');
    const edges = items.filter((i) => i.$type === 'bpmndi:BPMNEdge');
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    const rects = shapes.map((s) => {
      const b = s.bounds as ModdleElement;
      const r: Rect = { x: +b.x, y: +b.y, w: +b.width, h: +b.height };
      minX = Math.min(minX, r.x);
      minY = Math.min(minY, r.y);
      maxX = Math.max(maxX, r.x + r.w);
      maxY = Math.max(maxY, r.y + r.h);
      return { el: s.bpmnElement as ModdleElement, r };
    });
    const crossings: Crossing[] = [];
    for (const e of edges) {
      const flow = e.bpmnElement as ModdleElement;
      const ends = new Set([flow.sourceRef?.id, flow.targetRef?.id]);
      // a flow drawn inside an expanded sub-process lies inside its shape: its containers are not crossed
      const containers = new Set<string>();
      for (let p = flow.$parent as ModdleElement | undefined; p; p = p.$parent) if (p.id) containers.add(p.id);
      const pts = ((e.waypoint ?? []) as ModdleElement[]).map((w) => [+w.x, +w.y] as const);
      for (const [a, b] of pts.slice(1).map((p, i) => [pts[i], p] as const)) {
        minX = Math.min(minX, a[0], b[0]);
        maxX = Math.max(maxX, a[0], b[0]);
        minY = Math.min(minY, a[1], b[1]);
        maxY = Math.max(maxY, a[1], b[1]);
        for (const { el, r } of rects) {
          if (ends.has(el.id) || (el.id && containers.has(el.id))) continue;
          if (segmentCrossesRect(a[0], a[1], b[0], b[1], r))
            crossings.push({ flow: flow.id ?? '?', shape: el.id ?? '?', segment: [a[0], a[1], b[0], b[1]] });
        }
      }
    }
    out.push({
      plane: (plane.bpmnElement as ModdleElement | undefined)?.id ?? plane.id ?? '?',
      width: shapes.length ? maxX - minX : 0,
      height: shapes.length ? maxY - minY : 0,
      shapes: shapes.length,
      crossings,
    });
  }
  return out;
}
