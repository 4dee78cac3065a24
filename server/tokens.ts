// The server's tokens: a JSON file `{ "tokens": [{ "name", "role", "token" }] }`, mode 0600, created with one `operate`
// token when absent. A request's bearer token is compared with every token in constant time (sha-256 of both, then
// timingSafeEqual), so neither a match nor its position leaks through timing.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { BadInputError, closest } from '../engine/errors.js';

/** What a token may do: `read` sees everything, `operate` also starts, cancels, resumes, rolls back and answers. */
export type Role = 'read' | 'operate';
export const ROLES: readonly Role[] = ['read', 'operate'];

/** One token of the file. */
export interface Token {
  name: string;
  role: Role;
  token: string;
}

/** The tokens, ready to check requests against. */
export interface TokenSet {
  file: string;
  tokens: Token[];
  /** The token `bearer` is, or undefined; every token is compared, in constant time. */
  check(bearer: string): Token | undefined;
}

const TOKEN_KEYS = ['name', 'role', 'token'];
const MIN_TOKEN_LENGTH = 20;

/** A new random token: `grv_` and 32 bytes of base64url. */
export function newToken(): string {
  return `grv_${randomBytes(32).toString('base64url')}`;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Checks the parsed file `data`, naming the file, the token and the key of each problem. */
export function parseTokens(file: string, data: unknown): Token[] {
  const bad = (what: string) => new BadInputError(`token file ${file}: ${what}`, { file });
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw bad('expected an object { "tokens": [ { "name", "role", "token" } ] }');
  for (const k of Object.keys(data)) if (k !== 'tokens') throw bad(`unknown key "${k}"; did you mean "tokens"?`);
  const list = (data as { tokens?: unknown }).tokens;
  if (!Array.isArray(list) || !list.length) throw bad('"tokens" must be a non-empty array');
  const names = new Set<string>();
  const values = new Set<string>();
  return list.map((t, i) => {
    const at = `tokens[${i}]`;
    if (typeof t !== 'object' || t === null || Array.isArray(t)) throw bad(`${at}: expected an object`);
    for (const k of Object.keys(t))
      if (!TOKEN_KEYS.includes(k))
        throw bad(`${at}: unknown key "${k}"; did you mean "${closest(k, TOKEN_KEYS)[0] ?? TOKEN_KEYS[0]}"?`);
    const { name, role, token } = t as Record<string, unknown>;
    if (typeof name !== 'string' || !/^[\w.@-]{1,64}$/.test(name))
      throw bad(`${at}.name: expected 1-64 letters, digits, ".", "_", "@" or "-"`);
    if (names.has(name)) throw bad(`${at}.name: "${name}" is used twice`);
    names.add(name);
    if (role !== 'read' && role !== 'operate')
      throw bad(`${at}.role (${name}): expected "read" or "operate", got ${JSON.stringify(role)}`);
    if (typeof token !== 'string' || token.length < MIN_TOKEN_LENGTH || /\s/.test(token))
      throw bad(`${at}.token (${name}): expected at least ${MIN_TOKEN_LENGTH} characters without spaces`);
    if (values.has(token)) throw bad(`${at}.token (${name}): the same token is given twice`);
    values.add(token);
    return { name, role, token };
  });
}

/**
 * Creates `file` holding `text` with mode 0600, whole or not at all: written to a temporary file, synced, then linked
 * to its name, which fails when the file exists (two servers starting at once: one file, the other reads it).
 * @returns false when the file existed.
 */
function createPrivate(file: string, text: string): boolean {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    unlinkSync(tmp);
  }
}

/**
 * Reads the token file, or creates it (mode 0600, one `operate` token named `admin`) when it does not exist; `created`
 * holds the new token then, for the server to print once. A file that group or others may read is refused, as ssh
 * refuses such a key.
 */
export function loadTokens(file: string): { set: TokenSet; created?: Token } {
  let created: Token | undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    created = { name: 'admin', role: 'operate', token: newToken() };
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const body = `${JSON.stringify({ tokens: [created] }, null, 2)}\n`;
    let made: boolean;
    try {
      made = createPrivate(file, body);
    } catch (w) {
      throw new BadInputError(`token file ${file} cannot be created: ${(w as Error).message}`, { file });
    }
    if (made) text = body;
    else {
      // another process created it first: its token is the one
      created = undefined;
      text = readFileSync(file, 'utf8');
    }
  }
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077)
    throw new BadInputError(
      `token file ${file} may be read by others (mode ${mode.toString(8).padStart(4, '0')}): run chmod 600 ${file}`,
      { file },
    );
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new BadInputError(`token file ${file} is not JSON: ${(e as Error).message}`, { file });
  }
  const tokens = parseTokens(file, data);
  const digests = tokens.map((t) => digest(t.token));
  return {
    created,
    set: {
      file,
      tokens,
      check(bearer) {
        const d = digest(bearer);
        let found: Token | undefined;
        // every token is compared, whatever matched before: the time does not depend on which one matches
        for (const [i, t] of digests.entries()) if (timingSafeEqual(d, t) && !found) found = tokens[i];
        return found;
      },
    },
  };
}
