// The gate every BPMN input passes before the XML parser: size limit, encoding, no DOCTYPE, a bpmn:definitions root, well-formed XML.
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { XMLValidator } from 'fast-xml-parser';
import { BadInputError } from '../engine/errors.js';
import { BPMN_MODEL_NS } from './moddle.js';

/** Options of {@link readBpmnFile} and {@link checkBpmnText}. */
export interface ReadBpmnOptions {
  /** Largest accepted input in bytes; default `GRAVITY_BPMN_MAX_BYTES` from the environment, else 20 MiB. */
  maxBytes?: number;
}

/** Default size limit of a BPMN input: 20 MiB. */
export const DEFAULT_MAX_BPMN_BYTES = 20 * 1024 * 1024;

const NOT_BPMN = 'is not a BPMN file: expected an XML document with a bpmn:definitions root';

/** The size limit in force: `opts.maxBytes`, else `GRAVITY_BPMN_MAX_BYTES`, else 20 MiB. */
export function maxBpmnBytes(opts: ReadBpmnOptions = {}): number {
  if (opts.maxBytes !== undefined) return opts.maxBytes;
  const env = process.env.GRAVITY_BPMN_MAX_BYTES;
  if (env === undefined || env.trim() === '') return DEFAULT_MAX_BPMN_BYTES;
  const n = Number(env);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new BadInputError(`GRAVITY_BPMN_MAX_BYTES must be a positive integer (bytes), got "${env}"`);
  return n;
}

function checkSize(size: number, file: string, opts?: ReadBpmnOptions): void {
  const limit = maxBpmnBytes(opts);
  if (size <= limit) return;
  const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  throw new BadInputError(
    `${file} is too large: ${size} bytes (${mib(size)}) exceeds the limit of ${limit} bytes (${mib(limit)}); raise it with GRAVITY_BPMN_MAX_BYTES`,
    { file, size, limit },
  );
}

/**
 * Reads a BPMN file through the gate. Stats it first, so a file over the size limit fails before any byte is read.
 * @returns the document as a string, ready for `createModdle().fromXML`.
 * @throws BadInputError (details `{ file }`) when the file is missing, too large, badly encoded, has a DOCTYPE, is not BPMN or not well-formed.
 */
export async function readBpmnFile(path: string, opts?: ReadBpmnOptions): Promise<string> {
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new BadInputError(`cannot read ${path}: ${err.code ?? err.message}`, { file: path });
  });
  if (!info.isFile()) throw new BadInputError(`${path} is not a file`, { file: path });
  checkSize(info.size, path, opts);
  return checkBpmnText(await readFile(path), path, opts);
}

/**
 * Checks a BPMN document held in memory and decodes it: size limit, encoding (BOM, XML declaration), no
 * `<!DOCTYPE`/`<!ENTITY`, root `definitions` in the BPMN 2.0 model namespace, well-formed XML (the first error
 * named `<source>:<line>:<column>`). The declaration of a decoded non-UTF-8 document is rewritten to
 * `encoding="UTF-8"`, since the returned string is no longer in its old encoding.
 * @param source file name (or other label) used in error messages.
 */
export function checkBpmnText(text: string | Buffer, source: string, opts?: ReadBpmnOptions): string {
  checkSize(typeof text === 'string' ? Buffer.byteLength(text) : text.length, source, opts);
  const xml = typeof text === 'string' ? text.replace(/^\uFEFF/, '') : decode(text, source);
  const hostile = /<!(DOCTYPE|ENTITY)/i.exec(xml);
  if (hostile) {
    const line = lineOf(xml, hostile.index);
    throw new BadInputError(
      `${source}:${line}: DOCTYPE declarations are not allowed in BPMN files (entity expansion / external entities)`,
      { file: source, line },
    );
  }
  checkRoot(xml, source);
  checkWellFormed(xml, source);
  return xml.replace(/^(<\?xml[^>]*?\sencoding\s*=\s*)(["'])[^"']*\2/, (_m, head: string) => `${head}"UTF-8"`);
}

/** Decodes bytes: UTF-8/UTF-16 byte order marks first, then the XML declaration's encoding, UTF-8 by default. */
function decode(buf: Buffer, source: string): string {
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return strictDecode('utf-8', buf.subarray(3), source);
  if (buf[0] === 0xff && buf[1] === 0xfe) return strictDecode('utf-16le', buf.subarray(2), source);
  if (buf[0] === 0xfe && buf[1] === 0xff) return strictDecode('utf-16be', buf.subarray(2), source);
  if (buf[0] === 0x3c && buf[1] === 0x00) return strictDecode('utf-16le', buf, source);
  if (buf[0] === 0x00 && buf[1] === 0x3c) return strictDecode('utf-16be', buf, source);
  if (buf.subarray(0, 8192).includes(0)) throw notBpmn(source, 'binary data');
  const head = buf.subarray(0, 512).toString('latin1');
  const declared = /^\s*<\?xml[^>]*?\sencoding\s*=\s*["']([^"']*)["']/.exec(head)?.[1];
  if (declared === undefined) return strictDecode('utf-8', buf, source);
  let encoding: string;
  try {
    encoding = new TextDecoder(declared).encoding;
  } catch {
    throw new BadInputError(
      `${source} declares an unknown encoding "${declared}"; use UTF-8, ISO-8859-1 or windows-1252`,
      { file: source, encoding: declared },
    );
  }
  if (encoding.startsWith('utf-16')) {
    throw new BadInputError(`${source} declares encoding "${declared}" but has no UTF-16 byte order mark`, {
      file: source,
      encoding: declared,
    });
  }
  return strictDecode(encoding, buf, source);
}

/** windows-1252 bytes 0x80-0x9F (WHATWG maps the ISO-8859-1 labels here too; Node 20's TextDecoder gets it wrong). */
const CP1252_HIGH =
  '\u20AC\u0081\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\u008D\u017D\u008F' +
  '\u0090\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u009D\u017E\u0178';

function strictDecode(encoding: string, bytes: Uint8Array, source: string): string {
  if (encoding === 'windows-1252') {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
      .toString('latin1')
      .replace(/[\x80-\x9f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]);
  }
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch {
    const looksXml = /^\s*</.test(Buffer.from(bytes.subarray(0, 64)).toString('latin1').replace(/\0/g, ''));
    if (!looksXml) throw notBpmn(source, 'undecodable bytes');
    throw new BadInputError(
      `${source} is not valid ${encoding} text; if it is ISO-8859-1 or windows-1252, say so in its XML declaration`,
      { file: source, encoding },
    );
  }
}

/** Skips the prolog (declaration, comments, processing instructions) and checks the first element. */
function checkRoot(xml: string, source: string): void {
  const prolog = /^(?:\s|<\?[\s\S]*?\?>|<!--[\s\S]*?-->)*/.exec(xml)![0].length;
  const tag = /^<(?:([A-Za-z_][\w.-]*):)?([A-Za-z_][\w.-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>/.exec(
    xml.slice(prolog, prolog + 65536),
  );
  if (!tag) throw notBpmn(source, xml.trim() === '' ? 'an empty file' : 'no XML element');
  const [, prefix, local, attrs] = tag;
  const name = prefix ? `${prefix}:${local}` : local;
  if (local !== 'definitions') throw notBpmn(source, `<${name}>`);
  const xmlns = prefix ? `xmlns:${prefix}` : 'xmlns';
  const ns = new RegExp(`\\s${xmlns}\\s*=\\s*(["'])([^"']*)\\1`).exec(attrs)?.[2];
  if (ns !== BPMN_MODEL_NS) throw notBpmn(source, `<${name}> in namespace ${ns ? `"${ns}"` : '(none)'}`);
}

/** Longest parser message quoted in an error: a broken tag name can be the rest of the file. */
const MAX_XML_MESSAGE = 200;

let validator: typeof XMLValidator | undefined;

/** fast-xml-parser's validator, loaded on first use from its one-file CommonJS build (~15 ms; the ES module tree takes ~150 ms at every CLI start). */
function xmlValidator(): typeof XMLValidator {
  validator ??= (createRequire(import.meta.url)('fast-xml-parser') as { XMLValidator: typeof XMLValidator })
    .XMLValidator;
  return validator;
}

/**
 * Refuses XML that is not well-formed (unclosed or mismatched tag, unquoted or repeated attribute, text after the root),
 * naming the line and column of the first error. bpmn-moddle's own parser names neither, blames a later tag, and lets
 * some of these through as a warning.
 */
function checkWellFormed(xml: string, source: string): void {
  const r = xmlValidator().validate(xml);
  if (r === true) return;
  const { line, col: column, msg } = r.err;
  const message = msg.length > MAX_XML_MESSAGE ? `${msg.slice(0, MAX_XML_MESSAGE)}...` : msg;
  throw new BadInputError(`${source}:${line}:${column}: not well-formed XML: ${message}`, {
    file: source,
    line,
    column,
  });
}

function notBpmn(source: string, found: string): BadInputError {
  return new BadInputError(`${source} ${NOT_BPMN} (found ${found})`, { file: source });
}

/** 1-based line number of the character at `index` in `text`. */
export function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** 1-based line of the start tag of the element with `id="<id>"` in `text`, or undefined when there is none. */
export function findElementLine(text: string, id: string): number | undefined {
  const escaped = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`\\sid\\s*=\\s*(["'])${escaped}\\1`).exec(text);
  if (!match) return undefined;
  const open = text.lastIndexOf('<', match.index);
  return lineOf(text, open === -1 ? match.index : open);
}
