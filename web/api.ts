// Talking to gravity serve: the token (sessionStorage only, sent in the Authorization header, never in a URL), JSON
// calls, and the live events of a run read with fetch (EventSource cannot send a header) and parsed here.

const KEY = 'gravity.token';

export const token = {
  get: (): string | null => sessionStorage.getItem(KEY),
  set: (t: string) => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

/** An answer of the API that is not a success: its status and the `{ error, message }` body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Called when the server refuses the token (401): the page forgets it and asks again. */
let unauthorized: () => void = () => undefined;
export function onUnauthorized(fn: () => void): void {
  unauthorized = fn;
}

function headers(t: string, body: boolean): Record<string, string> {
  return { authorization: `Bearer ${t}`, ...(body ? { 'content-type': 'application/json' } : {}) };
}

async function call(method: string, path: string, body?: unknown, signal?: AbortSignal, given?: string) {
  const t = given ?? token.get();
  if (!t) {
    unauthorized();
    throw new ApiError(401, 'UNAUTHORIZED', 'no token');
  }
  const res = await fetch(path, {
    method,
    headers: headers(t, body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
    credentials: 'omit',
    signal,
  });
  if (res.ok) return res;
  let code = 'HTTP_ERROR';
  let message = `${method} ${path}: HTTP ${res.status}`;
  try {
    const b = (await res.json()) as { error?: string; message?: string };
    if (b.error) code = b.error;
    if (b.message) message = b.message;
  } catch {
    // not JSON: the status says enough
  }
  // a refused stored token is forgotten and asked again (a token being tried is only said to be wrong)
  if (res.status === 401 && given === undefined) {
    token.clear();
    unauthorized();
  }
  throw new ApiError(res.status, code, message);
}

/** A JSON call; `body` is sent as JSON. */
export async function api<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  return (await (await call(method, path, body, signal)).json()) as T;
}

/** A GET answering text (BPMN XML). */
export async function apiText(path: string, signal?: AbortSignal): Promise<string> {
  return (await call('GET', path, undefined, signal)).text();
}

/** Who the token is, asked with a token not stored yet (the sign-in form). */
export async function whoAmI(t?: string): Promise<Me> {
  return (await (await call('GET', '/api/me', undefined, undefined, t)).json()) as Me;
}

export interface Me {
  name: string;
  role: 'read' | 'operate';
}

/** One Server-Sent Event. */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/** Splits a text/event-stream body into events (the WHATWG rules: fields, comments, CR/LF/CRLF line ends). */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private id: string | undefined;

  constructor(private readonly emit: (e: SseEvent) => void) {}

  push(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      // a lone \r at the end may be the first half of \r\n: wait for more
      if (!m || (m[0] === '\r' && m.index === this.buffer.length - 1)) return;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length) this.emit({ event: this.event || 'message', data: this.data.join('\n'), id: this.id });
      this.event = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.id = value;
  }
}

/**
 * Reads a run's live events until `signal` aborts, connecting again (with Last-Event-ID) when the stream ends or
 * fails; `state` is told whether the stream is connected.
 */
export async function followEvents(
  path: string,
  signal: AbortSignal,
  on: (e: SseEvent) => void,
  state: (connected: boolean) => void = () => undefined,
): Promise<void> {
  let lastId: string | undefined;
  let delay = 500;
  while (!signal.aborted) {
    const t = token.get();
    if (!t) return unauthorized();
    try {
      const res = await fetch(path, {
        headers: { ...headers(t, false), accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) },
        cache: 'no-store',
        credentials: 'omit',
        signal,
      });
      if (res.status === 401) {
        token.clear();
        return unauthorized();
      }
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      state(true);
      delay = 500;
      const parser = new SseParser((e) => {
        if (e.id !== undefined) lastId = e.id;
        on(e);
      });
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.push(value);
      }
    } catch {
      if (signal.aborted) return;
    }
    state(false);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 5000);
  }
}
