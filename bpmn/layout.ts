// Touches up the diagram bpmn-auto-layout draws: boundary events spread so that they never overlap one another.
import type { ModdleElement } from './moddle.js';

/** Size of a boundary event's shape, and the gap kept between two on one host. */
const EVENT = 36;
const GAP = 8;

/** The boundary events of a host, with the sequence flows leaving each. */
export interface BoundaryGroup {
  host: string;
  events: { id: string; outgoing: string[] }[];
}

/** The hosts of `container` (a process or sub-process, searched through its sub-processes) with two boundary events or more. */
export function boundaryGroups(container: ModdleElement): BoundaryGroup[] {
  const groups = new Map<string, BoundaryGroup>();
  const walk = (c: ModdleElement) => {
    const elements = (c.flowElements ?? []) as ModdleElement[];
    for (const el of elements) {
      if (el.$type === 'bpmn:BoundaryEvent' && el.attachedToRef) {
        const host = (el.attachedToRef as ModdleElement).id as string;
        const outgoing = elements
          .filter((f) => f.$type === 'bpmn:SequenceFlow' && (f.sourceRef as ModdleElement | undefined) === el)
          .map((f) => f.id as string);
        const group = groups.get(host) ?? { host, events: [] };
        group.events.push({ id: el.id as string, outgoing });
        groups.set(host, group);
      }
      if (el.$type === 'bpmn:SubProcess') walk(el);
    }
  };
  walk(container);
  return [...groups.values()].filter((g) => g.events.length > 1);
}

const escape = (id: string) => id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The `<dc:Bounds>` of the shape of element `id` in laid-out XML: its match and numbers, or undefined. */
function boundsOf(xml: string, id: string) {
  const re = new RegExp(
    `(<bpmndi:BPMNShape [^>]*bpmnElement="${escape(id)}"[^>]*>\\s*<dc:Bounds )x="([^"]+)" y="([^"]+)" width="([^"]+)" height="([^"]+)"`,
  );
  const m = re.exec(xml);
  if (!m) return undefined;
  return { index: m.index, text: m[0], head: m[1], x: +m[2], y: +m[3], width: +m[4], height: +m[5] };
}

/**
 * Spreads the boundary events of every host in `groups` along its lower edge, {@link GAP} apart and centred (bpmn-auto-layout
 * puts two on a 100 px task 33 px apart: 36 px circles overlap, which bpmnlint's no-overlapping-elements reports), and
 * moves the start of each outgoing flow with its event. XML the layout did not write the expected way is left as it is.
 */
export function spreadBoundaryEvents(xml: string, groups: readonly BoundaryGroup[]): string {
  let out = xml;
  for (const g of groups) {
    const host = boundsOf(out, g.host);
    if (!host) continue;
    const total = g.events.length * EVENT + (g.events.length - 1) * GAP;
    const start = host.x + (host.width - total) / 2;
    g.events.forEach((event, i) => {
      const b = boundsOf(out, event.id);
      if (!b) return;
      const x = start + i * (EVENT + GAP) + (EVENT - b.width) / 2;
      const oldCentre = b.x + b.width / 2;
      const newCentre = x + b.width / 2;
      out =
        out.slice(0, b.index) +
        `${b.head}x="${x}" y="${b.y}" width="${b.width}" height="${b.height}"` +
        out.slice(b.index + b.text.length);
      // the flows leave from the event's bottom and go down first: their points at the old centre's x move with it
      for (const flow of event.outgoing) {
        const edge = new RegExp(
          `<bpmndi:BPMNEdge [^>]*bpmnElement="${escape(flow)}"[^>]*>[\\s\\S]*?</bpmndi:BPMNEdge>`,
        ).exec(out);
        if (!edge) continue;
        let moved = false;
        const text = edge[0].replace(/<di:waypoint x="([^"]+)"/g, (w, px: string) => {
          // only the leading points still on the event's vertical
          if (moved || Math.abs(+px - oldCentre) > 0.001) return ((moved = true), w);
          return `<di:waypoint x="${newCentre}"`;
        });
        out = out.slice(0, edge.index) + text + out.slice(edge.index + edge[0].length);
      }
    });
  }
  return out;
}
