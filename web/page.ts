// What every page gets: where to draw, a signal that aborts when the page is left, who the token is, and the route.
import { api, ApiError, apiText, type Me } from './api.js';
import { fill, h, note, type Child } from './dom.js';

export interface Page {
  main: HTMLElement;
  signal: AbortSignal;
  me: Me;
  /** The route's path parts after the page name (`#/runs/<id>` -> [id]), decoded. */
  args: string[];
  /** The route's query (`#/runs?status=failed`). */
  query: URLSearchParams;
  /** Sets the document title. */
  title(text: string): void;
}

/** Runs `fn` every `ms` until the page is left. */
export function every(page: Page, ms: number, fn: () => void): void {
  const t = setInterval(fn, ms);
  page.signal.addEventListener('abort', () => clearInterval(t));
}

/** A route: `#/runs/<id>` for route('runs', id). */
export const route = (...parts: string[]) => `/${parts.map(encodeURIComponent).join('/')}`;

/**
 * Loads what a page shows with a diagram: the JSON at `path` and the BPMN at `bpmnPath`, at once. Undefined when the
 * JSON could not be had: the page was left, the token was refused (the prompt shows), or its error is drawn under
 * `crumbs`. A diagram that could not be had is `xmlError`, and the page shows the rest.
 */
export async function loadWithDiagram<T>(
  page: Page,
  path: string,
  bpmnPath: string,
  crumbs: Child[],
): Promise<{ data: T; xml?: string; xmlError?: string } | undefined> {
  let xmlError: string | undefined;
  try {
    const [data, xml] = await Promise.all([
      api<T>('GET', path, undefined, page.signal),
      apiText(bpmnPath, page.signal).catch((e: Error) => {
        xmlError = e.message;
        return undefined;
      }),
    ]);
    return { data, xml, xmlError };
  } catch (e) {
    if (page.signal.aborted || (e instanceof ApiError && e.status === 401)) return undefined;
    fill(page.main, h('div', { class: 'crumbs' }, ...crumbs), note('error', (e as Error).message));
    return undefined;
  }
}
