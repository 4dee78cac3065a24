// What every page gets: where to draw, a signal that aborts when the page is left, who the token is, and the route.
import type { Me } from './api.js';

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
