// The diagram of an exported process: a grid layout that wraps long sequences into bands and routes every edge through
// the empty lanes between rows and columns, so that no edge crosses a shape it does not connect.
//
// Each level (the process, each sub-process) is laid out on its own grid, then placed: a sub-process is drawn expanded,
// its level inside its shape. Columns are ranks (the longest path from the start, back edges aside); a column that would
// make a band wider than the level's width limit starts a new band below. Rows come from a depth-first walk: a node's
// first successor stays on its row, the others (other branches, boundary flows) go to the first free row below. Edges
// leave a node on its right (a gateway's branch to another row leaves by its bottom or top, a boundary event's flow by
// its bottom), run vertically in a column gap and horizontally in the channel above a row (or through the spine, the
// lane left of the first column, to reach another band), and enter their target on its left.
import type { Moddle, ModdleElement } from './moddle.js';

const TASK = { w: 100, h: 80 };
const GATEWAY = { w: 50, h: 50 };
const EVENT = { w: 36, h: 36 };
/** Horizontal lane between two columns (and the spine left of the first one). */
const COL_GAP = 60;
/** Vertical space between two rows: room for the boundary events below a row and a channel above the next. */
const ROW_GAP = 80;
/** Where a row's channel runs: this far above the row. */
const CHANNEL = 22;
/** Lowest height of a row, so that rows of events and gateways line up with rows of tasks. */
const ROW_MIN = TASK.h;
/** Room at the top of an expanded sub-process for its name. */
const TITLE = 24;
/** Gap between two boundary events of one host. */
const BOUNDARY_GAP = 8;
/** The widest band of the process level, in px (a screen, with room to spare). */
export const MAX_WIDTH = 1600;
/** A sub-process level is narrower than its parent's by four columns, so the steps around it fit beside it. */
const NESTED_SHRINK = 4 * (TASK.w + COL_GAP);
/** The narrowest band a nested level is given. */
const NESTED_MIN = 560;

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}
type Point = [number, number];

/** A level laid out in its own coordinates (origin at its top-left corner, margins included). */
interface LevelLayout {
  width: number;
  height: number;
  shapes: Map<ModdleElement, Box>;
  edges: Map<ModdleElement, Point[]>;
  /** Where the names of gateways and of conditional flows go (bpmn-js places the others). */
  labels: Map<ModdleElement, Box>;
}

const isFlow = (e: ModdleElement) => e.$type === 'bpmn:SequenceFlow';
const isBoundary = (e: ModdleElement) => e.$type === 'bpmn:BoundaryEvent';
const isGateway = (e: ModdleElement) => /Gateway$/.test(e.$type);

function sizeOf(el: ModdleElement): { w: number; h: number } {
  if (isGateway(el)) return GATEWAY;
  if (/Event$/.test(el.$type)) return EVENT;
  return TASK;
}

/** Where a node sits on its level's grid. */
interface Cell {
  rank: number;
  row: number;
}

function layoutLevel(container: ModdleElement, maxWidth: number): LevelLayout {
  const elements = (container.flowElements ?? []) as ModdleElement[];
  const nodes = elements.filter((e) => !isFlow(e) && !isBoundary(e) && e.id !== undefined);
  const flows = elements.filter(isFlow);
  const boundaries = elements.filter((e) => isBoundary(e) && e.attachedToRef);
  const nodeSet = new Set(nodes);
  const hostOf = new Map(boundaries.map((b) => [b, b.attachedToRef as ModdleElement]));
  /** The node a flow leaves from on the grid: its source, or the host of its boundary event. */
  const gridSource = (f: ModdleElement) => {
    const s = f.sourceRef as ModdleElement;
    return hostOf.get(s) ?? s;
  };
  const out = new Map<ModdleElement, ModdleElement[]>();
  for (const n of nodes) out.set(n, []);
  // plain flows first, then the flows of boundary events (they branch off the main line)
  for (const f of [...flows.filter((f) => !hostOf.has(f.sourceRef)), ...flows.filter((f) => hostOf.has(f.sourceRef))]) {
    const s = gridSource(f);
    if (nodeSet.has(s) && nodeSet.has(f.targetRef)) out.get(s)!.push(f);
  }

  // nested levels first: a sub-process's size is its level's
  const nested = new Map<ModdleElement, LevelLayout>();
  const inner = Math.max(NESTED_MIN, maxWidth - NESTED_SHRINK);
  const size = new Map<ModdleElement, { w: number; h: number }>();
  for (const n of nodes) {
    if (n.$type === 'bpmn:SubProcess') {
      const l = layoutLevel(n, inner);
      nested.set(n, l);
      size.set(n, { w: l.width, h: l.height + TITLE });
    } else size.set(n, sizeOf(n));
  }

  // back edges: a depth-first walk from the starts (iterative: a sequence of 10 000 steps must not exhaust the stack)
  const starts = nodes.filter((n) => n.$type === 'bpmn:StartEvent');
  const roots = [...starts, ...nodes.filter((n) => !starts.includes(n))];
  const back = new Set<ModdleElement>();
  const state = new Map<ModdleElement, 1 | 2>();
  for (const r of roots) {
    if (state.has(r)) continue;
    const stack: Array<[ModdleElement, number]> = [[r, 0]];
    state.set(r, 1);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const edges = out.get(top[0])!;
      if (top[1] >= edges.length) {
        state.set(top[0], 2);
        stack.pop();
        continue;
      }
      const f = edges[top[1]++];
      const t = f.targetRef as ModdleElement;
      const s = state.get(t);
      if (s === 1) back.add(f);
      else if (s === undefined) {
        state.set(t, 1);
        stack.push([t, 0]);
      }
    }
  }
  // ranks: the longest path from a start over the forward edges (Kahn's order)
  const indeg = new Map<ModdleElement, number>(nodes.map((n) => [n, 0]));
  for (const n of nodes)
    for (const f of out.get(n)!) if (!back.has(f)) indeg.set(f.targetRef, indeg.get(f.targetRef)! + 1);
  const rank = new Map<ModdleElement, number>(nodes.map((n) => [n, 0]));
  const queue = nodes.filter((n) => indeg.get(n) === 0);
  for (let i = 0; i < queue.length; i++) {
    const n = queue[i];
    for (const f of out.get(n)!) {
      if (back.has(f)) continue;
      const t = f.targetRef as ModdleElement;
      rank.set(t, Math.max(rank.get(t)!, rank.get(n)! + 1));
      indeg.set(t, indeg.get(t)! - 1);
      if (indeg.get(t) === 0) queue.push(t);
    }
  }

  // how far each node is from an end (the longest forward path): the successor with the longest way to go keeps the row
  const reach = new Map<ModdleElement, number>();
  for (let i = queue.length - 1; i >= 0; i--) {
    const n = queue[i];
    let r = 0;
    for (const f of out.get(n)!) if (!back.has(f)) r = Math.max(r, (reach.get(f.targetRef) ?? 0) + 1);
    reach.set(n, r);
  }
  // rows: depth-first from the starts; a node's main successor keeps its row, the others (other branches, the flows of
  // its boundary events) go to the first free row below
  const cell = new Map<ModdleElement, Cell>();
  const taken = new Set<string>();
  const place = (n: ModdleElement, preferred: number) => {
    const r = rank.get(n)!;
    let row = preferred;
    while (taken.has(`${r}:${row}`)) row++;
    taken.add(`${r}:${row}`);
    cell.set(n, { rank: r, row });
  };
  for (const r of roots) {
    if (cell.has(r)) continue;
    place(r, 0);
    const stack: ModdleElement[] = [r];
    while (stack.length) {
      const n = stack.pop()!;
      const here = cell.get(n)!.row;
      const next: ModdleElement[] = [];
      const plain = out.get(n)!.filter((f) => !hostOf.has(f.sourceRef) && !back.has(f));
      const main = plain.reduce<ModdleElement | undefined>(
        (best, f) => (!best || (reach.get(f.targetRef) ?? 0) > (reach.get(best.targetRef) ?? 0) ? f : best),
        undefined,
      );
      for (const f of [...(main ? [main] : []), ...out.get(n)!.filter((f) => f !== main)]) {
        const t = f.targetRef as ModdleElement;
        if (cell.has(t)) continue;
        place(t, f === main ? here : here + 1);
        next.push(t);
      }
      for (let i = next.length - 1; i >= 0; i--) stack.push(next[i]);
    }
  }

  // columns, then bands: a column that would make its band wider than the limit opens the next band
  const ranks = Math.max(0, ...[...rank.values()]) + 1;
  const colWidth = new Array<number>(ranks).fill(EVENT.w);
  for (const n of nodes) colWidth[rank.get(n)!] = Math.max(colWidth[rank.get(n)!], size.get(n)!.w);
  const bandOf = new Array<number>(ranks);
  const colX = new Array<number>(ranks);
  let band = 0;
  let x = COL_GAP;
  let width = 0;
  for (let k = 0; k < ranks; k++) {
    if (x > COL_GAP && x + colWidth[k] + COL_GAP > maxWidth) {
      band++;
      x = COL_GAP;
    }
    bandOf[k] = band;
    colX[k] = x;
    x += colWidth[k] + COL_GAP;
    width = Math.max(width, x);
  }
  // rows of each band, the ones it uses only, top to bottom
  const bands = band + 1;
  const used = Array.from({ length: bands }, () => new Map<number, number>());
  for (const n of nodes) {
    const c = cell.get(n)!;
    const rows = used[bandOf[c.rank]];
    rows.set(c.row, Math.max(rows.get(c.row) ?? ROW_MIN, size.get(n)!.h));
  }
  const rowY = Array.from({ length: bands }, () => new Map<number, number>());
  const rowH = Array.from({ length: bands }, () => new Map<number, number>());
  /** For each band, the y of the channel above each of its rows, in order, and the one below its last row. */
  const bandRows: number[][] = [];
  let y = ROW_GAP;
  for (let b = 0; b < bands; b++) {
    const order = [...used[b].keys()].sort((p, q) => p - q);
    bandRows.push(order);
    for (const r of order) {
      rowY[b].set(r, y);
      rowH[b].set(r, used[b].get(r)!);
      y += used[b].get(r)! + ROW_GAP;
    }
  }
  const height = y;

  // shapes, centred in their cell
  const shapes = new Map<ModdleElement, Box>();
  for (const n of nodes) {
    const c = cell.get(n)!;
    const b = bandOf[c.rank];
    const s = size.get(n)!;
    shapes.set(n, {
      x: colX[c.rank] + (colWidth[c.rank] - s.w) / 2,
      y: rowY[b].get(c.row)! + (rowH[b].get(c.row)! - s.h) / 2,
      w: s.w,
      h: s.h,
    });
  }
  // boundary events along their host's lower edge, centred, apart
  const byHost = new Map<ModdleElement, ModdleElement[]>();
  for (const e of boundaries) byHost.set(hostOf.get(e)!, [...(byHost.get(hostOf.get(e)!) ?? []), e]);
  for (const [host, events] of byHost) {
    const h = shapes.get(host);
    if (!h) continue;
    const total = events.length * EVENT.w + (events.length - 1) * BOUNDARY_GAP;
    events.forEach((e, i) =>
      shapes.set(e, {
        x: h.x + (h.w - total) / 2 + i * (EVENT.w + BOUNDARY_GAP),
        y: h.y + h.h - EVENT.h / 2,
        w: EVENT.w,
        h: EVENT.h,
      }),
    );
  }

  // lanes: edges sharing a lane are drawn a few px apart, so each can be followed
  const spread = new Map<string, number>();
  const lane = (key: string, at: number) => {
    const k = spread.get(key) ?? 0;
    spread.set(key, k + 1);
    const step = [0, -6, 6, -12, 12][k % 5];
    return at + step;
  };
  const rowIndex = (n: ModdleElement) => {
    const c = cell.get(n)!;
    return bandRows[bandOf[c.rank]].indexOf(c.row);
  };
  const channelAbove = (b: number, i: number) => rowY[b].get(bandRows[b][i])! - CHANNEL;
  /** The channel below row `i` of band `b`: the one above the next row (of this band, else of the next band). */
  const channelBelow = (b: number, i: number) =>
    i + 1 < bandRows[b].length
      ? channelAbove(b, i + 1)
      : rowY[b].get(bandRows[b][i])! + rowH[b].get(bandRows[b][i])! + ROW_GAP - CHANNEL;
  const gapRight = (k: number) => colX[k] + colWidth[k] + COL_GAP / 2;
  const gapLeft = (k: number) => colX[k] - COL_GAP / 2;

  const edges = new Map<ModdleElement, Point[]>();
  const labels = new Map<ModdleElement, Box>();
  // a gateway's name above it: below it, its branches leave
  for (const n of nodes) {
    if (!isGateway(n) || !n.name) continue;
    const b = shapes.get(n)!;
    const h = labelHeight(String(n.name));
    labels.set(n, { x: b.x + b.w / 2 - LABEL_W / 2, y: b.y - 4 - h, w: LABEL_W, h });
  }
  /** How many labels already sit on each side of each source: the next one goes below them. */
  const stacked = new Map<string, number>();
  for (const f of flows) {
    const src = f.sourceRef as ModdleElement;
    const tgt = f.targetRef as ModdleElement;
    const gs = gridSource(f);
    if (!shapes.has(src) || !nodeSet.has(gs) || !nodeSet.has(tgt)) continue;
    const sb = shapes.get(src)!;
    const tb = shapes.get(tgt)!;
    const sc = cell.get(gs)!;
    const tc = cell.get(tgt)!;
    const sBand = bandOf[sc.rank];
    const tBand = bandOf[tc.rank];
    const sRow = rowIndex(gs);
    const tRow = rowIndex(tgt);
    const ty = tb.y + tb.h / 2;
    const sy = sb.y + sb.h / 2;
    const tx = tb.x;
    const gl = lane(`v${tc.rank}`, gapLeft(tc.rank));
    const pts: Point[] = [];
    /** From a point in a channel of the source's band, to the target: through the spine when it is in another band. */
    const toTarget = (from: Point) => {
      if (sBand !== tBand) {
        const spine = lane('spine', COL_GAP / 2);
        pts.push([spine, from[1]]);
        if (tc.rank !== 0 || bandRows[tBand][0] !== tc.row) {
          const c = lane(`h${tBand}:${tRow}`, channelAbove(tBand, tRow));
          pts.push([spine, c], [gl, c]);
        }
      } else pts.push([gl, from[1]]);
      pts.push([gl, ty], [tx, ty]);
    };
    if (isBoundary(src)) {
      // down from the event into the channel below its host's row
      const cx = sb.x + sb.w / 2;
      const c = lane(`h${sBand}:${sRow + 1}`, channelBelow(sBand, sRow));
      pts.push([cx, sb.y + sb.h], [cx, c]);
      toTarget([cx, c]);
    } else if (isGateway(src) && sBand === tBand && sRow !== tRow) {
      // a branch to another row leaves the gateway by its bottom (or top) edge
      const cx = sb.x + sb.w / 2;
      const down = tRow > sRow;
      const c = down
        ? lane(`h${sBand}:${sRow + 1}`, channelBelow(sBand, sRow))
        : lane(`h${sBand}:${sRow}`, channelAbove(sBand, sRow));
      pts.push([cx, down ? sb.y + sb.h : sb.y], [cx, c]);
      toTarget([cx, c]);
    } else {
      const gr = gapRight(sc.rank);
      pts.push([sb.x + sb.w, sy]);
      if (sBand === tBand && sc.rank + 1 === tc.rank) {
        // the next column: across the gap between them
        if (Math.abs(sy - ty) < 0.5) pts.push([tx, ty]);
        else {
          const g = lane(`v${tc.rank}`, gr);
          pts.push([g, sy], [g, ty], [tx, ty]);
        }
      } else {
        const g = lane(`v${sc.rank + 1}`, gr);
        // along the channel above the target's row (same band), or the edge of the band on the target's side
        const c =
          sBand === tBand
            ? lane(`h${tBand}:${tRow}`, channelAbove(tBand, tRow))
            : tBand > sBand
              ? lane(`h${sBand}:${bandRows[sBand].length}`, channelBelow(sBand, bandRows[sBand].length - 1))
              : lane(`h${sBand}:0`, channelAbove(sBand, 0));
        pts.push([g, sy], [g, c]);
        toTarget([g, c]);
      }
    }
    edges.set(f, simplify(pts));
    if (f.name && f.conditionExpression) {
      // beside the first segment, where the flow leaves its source: right of a vertical one, below a horizontal one
      const [[x0, y0], [x1, y1]] = pts;
      const vertical = Math.abs(x0 - x1) < 0.5;
      const side = `${src.id}:${vertical ? (y1 > y0 ? 'down' : 'up') : 'right'}`;
      // below a horizontal segment, no wider than the room before the next column (or the target) starts
      const room = vertical
        ? LABEL_W
        : Math.max(MIN_LABEL_W, Math.min(LABEL_W, (Math.abs(x1 - tb.x) < 0.5 ? x1 : x1 + COL_GAP / 2) - x0 - 12));
      const h = labelHeight(String(f.name), room);
      const before = stacked.get(side) ?? 0;
      stacked.set(side, before + h + 2);
      labels.set(f, {
        x: x0 + 6,
        y: vertical && y1 < y0 ? y0 - 4 - h - before : y0 + 4 + before,
        w: room,
        h,
      });
    }
  }

  // the nested levels, placed inside their sub-process
  for (const [n, l] of nested) {
    const b = shapes.get(n)!;
    for (const [el, s] of l.shapes) shapes.set(el, { ...s, x: s.x + b.x, y: s.y + b.y + TITLE });
    for (const [el, p] of l.edges)
      edges.set(
        el,
        p.map(([px, py]) => [px + b.x, py + b.y + TITLE] as Point),
      );
    for (const [el, s] of l.labels) labels.set(el, { ...s, x: s.x + b.x, y: s.y + b.y + TITLE });
  }
  return { width, height, shapes, edges, labels };
}

/** Width of a flow's label, and the height of one of its lines (about 6 px a character). */
const LABEL_W = 72;
/** The narrowest a flow's label gets (beside a short segment). */
const MIN_LABEL_W = 40;
const LINE_H = 14;
const labelHeight = (name: string, width = LABEL_W) => LINE_H * Math.min(5, Math.ceil((name.length * 6) / width));

/** Drops repeated points and the middle one of three on a line. */
function simplify(points: Point[]): Point[] {
  const out: Point[] = [];
  for (const p of points) {
    const last = out[out.length - 1];
    if (last && Math.abs(last[0] - p[0]) < 0.01 && Math.abs(last[1] - p[1]) < 0.01) continue;
    const prev = out[out.length - 2];
    if (
      prev &&
      last &&
      ((Math.abs(prev[0] - last[0]) < 0.01 && Math.abs(last[0] - p[0]) < 0.01) ||
        (Math.abs(prev[1] - last[1]) < 0.01 && Math.abs(last[1] - p[1]) < 0.01))
    )
      out.pop();
    out.push(p);
  }
  return out;
}

/** Every id of `container` and its sub-processes. */
function idsOf(container: ModdleElement, ids: Set<string>): Set<string> {
  for (const e of (container.flowElements ?? []) as ModdleElement[]) {
    if (e.id) ids.add(e.id);
    if (e.$type === 'bpmn:SubProcess') idsOf(e, ids);
  }
  return ids;
}

/** The `bpmndi:BPMNDiagram` of `process`: every flow node a shape, every sequence flow an edge, sub-processes expanded. */
export function layoutDiagram(moddle: Moddle, process: ModdleElement, taken: Iterable<string> = []): ModdleElement {
  const l = layoutLevel(process, MAX_WIDTH);
  const ids = idsOf(process, new Set(taken));
  ids.add(process.id!);
  const diId = (preferred: string) => {
    let candidate = preferred;
    for (let n = 2; ids.has(candidate); n++) candidate = `${preferred}_${n}`;
    ids.add(candidate);
    return candidate;
  };
  const planeElement: ModdleElement[] = [];
  for (const [el, b] of l.shapes) {
    const shape = moddle.create('bpmndi:BPMNShape', {
      id: diId(`${el.id}_di`),
      bpmnElement: el,
      bounds: moddle.create('dc:Bounds', { x: b.x, y: b.y, width: b.w, height: b.h }),
    });
    if (el.$type === 'bpmn:SubProcess') shape.isExpanded = true;
    if (el.$type === 'bpmn:ExclusiveGateway') shape.isMarkerVisible = true;
    const label = l.labels.get(el);
    if (label)
      shape.label = moddle.create('bpmndi:BPMNLabel', {
        bounds: moddle.create('dc:Bounds', { x: label.x, y: label.y, width: label.w, height: label.h }),
      });
    planeElement.push(shape);
  }
  for (const [el, points] of l.edges) {
    const edge = moddle.create('bpmndi:BPMNEdge', {
      id: diId(`${el.id}_di`),
      bpmnElement: el,
      waypoint: points.map(([x, y]) => moddle.create('dc:Point', { x, y })),
    });
    const label = l.labels.get(el);
    if (label)
      edge.label = moddle.create('bpmndi:BPMNLabel', {
        bounds: moddle.create('dc:Bounds', { x: label.x, y: label.y, width: label.w, height: label.h }),
      });
    planeElement.push(edge);
  }
  const plane = moddle.create('bpmndi:BPMNPlane', {
    id: diId(`BPMNPlane_${process.id}`),
    bpmnElement: process,
    planeElement,
  });
  return moddle.create('bpmndi:BPMNDiagram', { id: diId(`BPMNDiagram_${process.id}`), plane });
}
