// A small typed shim over bpmn-moddle, so the rest of bpmn/ never touches its untyped API directly.
import { BpmnModdle } from 'bpmn-moddle';

/** One element of a parsed BPMN model (a moddle object): typed by `$type`, extra XML attributes in `$attrs`. */
export interface ModdleElement {
  /** Qualified type name, e.g. `bpmn:ServiceTask`. */
  $type: string;
  id?: string;
  /** Attributes the meta-model does not know (foreign namespaces, xmlns declarations). */
  $attrs: Record<string, string>;
  $parent?: ModdleElement;
  /** Reads a property by (possibly prefixed) name, creating empty collections on demand. */
  get(name: string): any;
  /** Writes a property by (possibly prefixed) name. */
  set(name: string, v: unknown): void;
  [k: string]: any;
}

/** A warning the reader produced while parsing (unknown element, unresolved reference, bad attribute). */
export interface ModdleWarning {
  message: string;
  element?: unknown;
  property?: string;
  value?: unknown;
  error?: Error;
}

/** What {@link Moddle.fromXML} resolves to. */
export interface ParseResult {
  rootElement: ModdleElement;
  warnings: ModdleWarning[];
  elementsById: Record<string, ModdleElement>;
  references: unknown[];
}

/** The typed surface of a bpmn-moddle instance that gravity uses. */
export interface Moddle {
  /**
   * Parses BPMN XML into moddle elements. Rejects on malformed XML; recoverable problems land in `warnings`.
   * Pass only text that went through `checkBpmnText` / `readBpmnFile` (bpmn/read-xml.ts).
   * @param type root type to expect, `bpmn:Definitions` by default.
   */
  fromXML(xml: string, type?: string): Promise<ParseResult>;
  /** Serializes an element (usually `bpmn:Definitions`) back to XML. */
  toXML(element: ModdleElement, options?: { format?: boolean; preamble?: boolean }): Promise<{ xml: string }>;
  /** Creates an element of the given qualified type, e.g. `create('bpmn:Task', { id: 'Task_1' })`. */
  create(type: string, attrs?: Record<string, unknown>): ModdleElement;
  /** Looks up a type descriptor; used by exporters that need property metadata. */
  getElementDescriptor(element: ModdleElement): unknown;
}

/** A moddle package (the JSON descriptor of an extension namespace), as camunda-bpmn-moddle and zeebe-bpmn-moddle ship them. */
export interface ModdlePackage {
  name: string;
  uri: string;
  prefix: string;
  [k: string]: unknown;
}

/** The namespace of the BPMN 2.0 semantic model; a BPMN file's root must be `definitions` in it. */
export const BPMN_MODEL_NS = 'http://www.omg.org/spec/BPMN/20100524/MODEL';

/**
 * Creates a moddle that reads and writes BPMN 2.0 (with DI and bpmn.io colors).
 * @param extensions extra moddle packages by prefix, e.g. `{ camunda: camundaDescriptor, gravity: gravityDescriptor }`.
 */
export function createModdle(extensions: Readonly<Record<string, ModdlePackage>> = {}): Moddle {
  return new BpmnModdle(extensions) as Moddle;
}

/** True when `value` is a moddle element of the given qualified type (or a subtype, via `$instanceOf`). */
export function isModdleType(value: unknown, type: string): value is ModdleElement {
  if (!value || typeof value !== 'object' || typeof (value as ModdleElement).$type !== 'string') return false;
  const el = value as ModdleElement;
  return typeof el.$instanceOf === 'function' ? Boolean(el.$instanceOf(type)) : el.$type === type;
}
