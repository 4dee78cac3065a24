// Building the page: elements made with createElement and text set with textContent only (no HTML is ever parsed from
// data), and the small formatting helpers every page shares.

export type Child = Node | string | number | null | undefined | false | Child[];

export interface Attrs {
  class?: string;
  /** Event handlers, added with addEventListener. */
  on?: Partial<Record<keyof HTMLElementEventMap, (e: Event) => void>>;
  [attr: string]: unknown;
}

/** An element with attributes (strings set with setAttribute; booleans add or omit the attribute) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (k === 'on') {
      for (const [ev, fn] of Object.entries(v as Record<string, (e: Event) => void>)) el.addEventListener(ev, fn);
    } else if (v === true) el.setAttribute(k, '');
    else if (v !== false && v !== undefined && v !== null) el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

/** Appends children (text as text nodes). */
export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces an element's children. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A link inside the page (a hash route). */
export const link = (route: string, ...children: Child[]) => h('a', { href: `#${route}` }, ...children);

/** A link out of the page, only for http(s) addresses (anything else is shown as text). */
export function outLink(url: string, text = url): HTMLElement {
  let ok = false;
  try {
    const u = new URL(url);
    ok = u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    ok = false;
  }
  return ok ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, text) : h('span', null, text);
}

/** The status badge of a run or a step. */
export function badge(status: string): HTMLElement {
  const label = status === 'succeeded' ? 'done' : status;
  return h('span', { class: `badge st-${statusClass(status)}`, 'data-status': status }, label);
}

/** The colour family of a status. */
export function statusClass(status: string): string {
  switch (status) {
    case 'succeeded':
    case 'done':
      return 'done';
    case 'failed':
    case 'needs-attention':
      return 'failed';
    case 'running':
      return 'running';
    case 'waiting':
      return 'waiting';
    case 'cancelled':
    case 'interrupted':
    case 'detached':
      return 'cancelled';
    case 'rolled-back':
    case 'compensated':
      return 'rolled';
    default:
      return 'other';
  }
}

/** A time as `5 Dec 22:31:05` (the year too when not this year); the ISO time as its tooltip. */
export function when(iso: string | undefined): HTMLElement {
  if (!iso) return h('span', { class: 'muted' }, '—');
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return h('span', null, iso);
  const now = new Date();
  const day = d.toLocaleDateString('en-GB', {
    day: 'numeric',
    month: 'short',
    ...(d.getFullYear() !== now.getFullYear() ? { year: 'numeric' } : {}),
  });
  const time = d.toLocaleTimeString('en-GB', { hour12: false });
  return h('time', { datetime: iso, title: iso }, `${day} ${time}`);
}

/** A duration as `850 ms`, `4.2 s`, `3 min 05 s`, `2 h 04 min`. */
export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** Any JSON value, indented, in a <pre>. */
export function json(value: unknown): HTMLElement {
  return h('pre', { class: 'code' }, value === undefined ? '—' : JSON.stringify(value, null, 2));
}

/** A message box: `error`, `info` or `warn`. */
export function note(kind: 'error' | 'info' | 'warn', ...children: Child[]): HTMLElement {
  return h('div', { class: `note note-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, ...children);
}
