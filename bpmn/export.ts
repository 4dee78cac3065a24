// Definition -> BPMN 2.0 XML with a diagram, in one of the dialects; the diagram is kept when the definition came from BPMN.
import {
  BadInputError,
  DefinitionError,
  expressionSource,
  parseDelay,
  SEND_TASK,
  type Definition,
  type StateConfig,
} from '../engine/index.js';
import { createModdle, type Moddle, type ModdleElement } from './moddle.js';
import { definitionToGraph, isMsDelay, type Graph, type GraphNode } from './graph.js';
import { BOUNDARY_LABEL, conditionLabel, generatedLabel } from './labels.js';
import { msToIso, processIdFor, type Dialect, type WriteContext } from './dialect.js';
import { defaultDialect, dialectNamed, type DialectName } from './dialects/index.js';
import { layoutDiagram } from './layout.js';
import { isOwnPrefix, restoreDiagram, restoreForeign, type StoredDiagram } from './preserve.js';

/** Options of export. */
export interface ExportOptions {
  /** The dialect to write; the default dialect (gravity) when absent. */
  dialect?: DialectName;
}

/** A definitions id and process id derived from a workflow id (`host:doctor` -> `host_doctor`). */
export const processIdOf = (def: Definition) =>
  (def.meta?.bpmn as { processId?: string } | undefined)?.processId ?? processIdFor(def.id);

function build(
  moddle: Moddle,
  dialect: Dialect,
  graph: Graph,
  container: ModdleElement,
  w: WriteContext,
  preserve: boolean,
): void {
  const els = new Map<string, ModdleElement>();
  const flowEls: ModdleElement[] = [];
  for (const n of graph.nodes) {
    const s = n.state;
    const attrs: Record<string, unknown> = { id: n.id };
    const name = s?.meta?.title ?? nameOf(n);
    if (name) attrs.name = name;
    const el = moddle.create(n.type, attrs);
    el.$parent = container;
    if (s?.meta?.documentation)
      el.documentation = [moddle.create('bpmn:Documentation', { text: s.meta.documentation })];
    if (n.type === 'bpmn:StartEvent' && container.$type === 'bpmn:Process' && w.startMessage !== undefined)
      el.eventDefinitions = [
        moddle.create(
          'bpmn:MessageEventDefinition',
          w.startMessage ? { messageRef: messageNamed(moddle, w, w.startMessage) } : {},
        ),
      ];
    switch (n.type) {
      case 'bpmn:ReceiveTask':
      case 'bpmn:SendTask':
        // the message it waits for (or sends): a root bpmn:Message per name, its correlation written by the dialect
        el.messageRef = messageNamed(moddle, w, messageName(s!, n.id));
        dialect.writeTask(n.key!, s!, el, w);
        writeLoop(moddle, dialect, s!, el, w, n.id);
        break;
      case 'bpmn:ServiceTask':
      case 'bpmn:UserTask':
      case 'bpmn:CallActivity':
        dialect.writeTask(n.key!, s!, el, w);
        writeLoop(moddle, dialect, s!, el, w, n.id);
        break;
      case 'bpmn:BoundaryEvent':
        el.cancelActivity = n.interrupting !== false;
        el.eventDefinitions = [
          n.catches === 'error'
            ? moddle.create('bpmn:ErrorEventDefinition')
            : n.catches === 'signal'
              ? moddle.create('bpmn:SignalEventDefinition', { signalRef: signalNamed(moddle, w, n.signal!) })
              : n.catches === 'message'
                ? moddle.create('bpmn:MessageEventDefinition', { messageRef: messageNamed(moddle, w, n.message!) })
                : timerDefinition(moddle, dialect, n.delay!, n.id, n.times),
        ];
        if (n.catches === 'message' && n.messageKey !== undefined)
          dialect.writeMessageKey?.(el.eventDefinitions[0].messageRef as ModdleElement, n.messageKey, w, n.id);
        break;
      case 'bpmn:IntermediateCatchEvent':
        el.eventDefinitions = [timerDefinition(moddle, dialect, n.delay!, n.id)];
        break;
      case 'bpmn:IntermediateThrowEvent':
        // a milestone (a none throw event of the file): the run goes on through it
        break;
      case 'bpmn:EndEvent':
        if (s?.meta?.fail) {
          const msg = typeof s.meta.fail === 'object' && s.meta.fail.message ? s.meta.fail.message : 'failed';
          // ends that fail with the same message throw one error (two errors of one name: bpmnlint's global rule)
          let err = w.errors.find((e) => e.$type === 'bpmn:Error' && e.name === msg);
          if (!err) {
            err = moddle.create('bpmn:Error', { id: `Error_${n.id}`, name: msg, errorCode: n.id });
            w.errors.push(err);
          }
          el.eventDefinitions = [moddle.create('bpmn:ErrorEventDefinition', { errorRef: err })];
        }
        // the end of a scope the export made up has no state, and no result
        if (s) dialect.writeResult(n.key!, s, el, w);
        break;
      case 'bpmn:SubProcess':
        el.flowElements = [];
        build(moddle, dialect, n.children!, el, w, preserve);
        if (s) writeLoop(moddle, dialect, s, el, w, n.id);
        break;
    }
    if (preserve && s) restoreForeign(moddle, el, s.meta?.bpmn);
    els.set(n.id, el);
    container.get('flowElements').push(el);
  }
  for (const n of graph.nodes) if (n.attachedTo) els.get(n.id)!.attachedToRef = els.get(n.attachedTo);
  for (const f of graph.flows) {
    const src = els.get(f.source);
    const tgt = els.get(f.target);
    if (!src || !tgt)
      throw new BadInputError(
        `cannot export flow <${f.id}>: ${!src ? f.source : f.target} is not an element of the same level`,
      );
    const flow = moddle.create('bpmn:SequenceFlow', { id: f.id, sourceRef: src, targetRef: tgt });
    if (f.condition !== undefined) flow.name = f.description ?? conditionLabel(f.condition);
    if (f.condition !== undefined)
      flow.conditionExpression = moddle.create('bpmn:FormalExpression', dialect.writeCondition(f.condition, f.id));
    src.get('outgoing').push(flow);
    tgt.get('incoming').push(flow);
    flowEls.push(flow);
    container.get('flowElements').push(flow);
  }
  for (const n of graph.nodes) if (n.defaultFlow) els.get(n.id)!.default = flowEls.find((f) => f.id === n.defaultFlow);
}

/** A for-each (`meta.each`) as a multi-instance activity, sequential when one item runs at a time. */
function writeLoop(moddle: Moddle, dialect: Dialect, s: StateConfig, el: ModdleElement, w: WriteContext, id: string) {
  const each = s.meta?.each;
  if (!each) return;
  const mi = moddle.create('bpmn:MultiInstanceLoopCharacteristics', { isSequential: (each.concurrency ?? 1) === 1 });
  // a loop imported from a count (loopCardinality) is written back as that count
  const cardinality = (s.meta?.bpmn as { cardinality?: string } | undefined)?.cardinality;
  if (cardinality !== undefined) mi.loopCardinality = moddle.create('bpmn:FormalExpression', { body: cardinality });
  else dialect.writeLoop(each, mi, el, w, id);
  // a completion condition (until) is the multi-instance's completionCondition, written as the dialect writes conditions
  if (each.until !== undefined)
    mi.completionCondition = moddle.create(
      'bpmn:FormalExpression',
      dialect.writeCondition(expressionSource(each.until), id),
    );
  el.loopCharacteristics = mi;
}

/** The name of an element whose state has no title (every shape of the diagram says what it is); none for joins. */
function nameOf(n: GraphNode): string | undefined {
  switch (n.type) {
    case 'bpmn:ServiceTask':
    case 'bpmn:UserTask':
    case 'bpmn:ReceiveTask':
    case 'bpmn:SendTask':
    case 'bpmn:CallActivity':
      return generatedLabel('task', n.id, n.state);
    case 'bpmn:SubProcess':
      return n.state ? generatedLabel('scope', n.id, n.state) : n.name;
    case 'bpmn:IntermediateCatchEvent':
    case 'bpmn:IntermediateThrowEvent':
      return generatedLabel('wait', n.id, n.state);
    case 'bpmn:StartEvent':
      return generatedLabel('start', n.id);
    case 'bpmn:EndEvent':
      return n.state ? generatedLabel('end', n.id, n.state) : n.name;
    case 'bpmn:BoundaryEvent':
      return n.name ?? BOUNDARY_LABEL[n.interrupting === false ? 'reminder' : n.catches!];
    case 'bpmn:ExclusiveGateway':
      // a decision says what it decides; the merges gravity adds only join
      return n.state ? generatedLabel('decision', n.id, n.state) : undefined;
    default:
      return undefined;
  }
}

/** The root `bpmn:Signal` named `name`, created once per file. */
function signalNamed(moddle: Moddle, w: WriteContext, name: string): ModdleElement {
  const id = `Signal_${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const known = w.errors.find((e) => e.id === id);
  if (known) return known;
  const signal = moddle.create('bpmn:Signal', { id, name });
  w.errors.push(signal);
  return signal;
}

/** The name of the message a message wait (`gravity.message`) waits for, or a send (`gravity.send`) sends: its input's `name`. */
function messageName(s: StateConfig, element: string): string {
  const name = (s.invoke?.input as { name?: unknown } | undefined)?.name;
  if (typeof name !== 'string' || !name.trim())
    throw new DefinitionError(
      `cannot export <${element}>: a ${s.invoke?.src === SEND_TASK ? 'send' : 'message wait'} needs the name of its message (input name)`,
      { element },
    );
  return name;
}

/** The root `bpmn:Message` named `name`, created once per file (the receive tasks waiting for it refer to it). */
function messageNamed(moddle: Moddle, w: WriteContext, name: string): ModdleElement {
  const known = w.errors.find((e) => e.$type === 'bpmn:Message' && e.name === name);
  if (known) return known;
  const base = `Message_${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  let id = base;
  for (let i = 2; w.errors.some((e) => e.id === id); i++) id = `${base}_${i}`;
  const message = moddle.create('bpmn:Message', { id, name });
  w.errors.push(message);
  return message;
}

/** A timer: its duration, or with `times` other than 1 (a reminder that fires again) an ISO-8601 cycle `R<n>/<duration>`. */
function timerDefinition(moddle: Moddle, dialect: Dialect, delay: string, element: string, times = 1): ModdleElement {
  const body = isMsDelay(delay)
    ? msToIso(Number(delay))
    : /^P/.test(delay)
      ? msToIso(parseDelay(delay, element))
      : dialect.writeDelay(delay, element);
  if (times !== 1)
    return moddle.create('bpmn:TimerEventDefinition', {
      timeCycle: moddle.create('bpmn:FormalExpression', { body: `R${times || ''}/${body}` }),
    });
  return moddle.create('bpmn:TimerEventDefinition', { timeDuration: moddle.create('bpmn:FormalExpression', { body }) });
}

/** The ids of the root elements (errors, signals, the process) and of the definitions, which diagram ids step aside from. */
const rootIds = (definitions: ModdleElement) => [
  definitions.id as string,
  ...((definitions.rootElements ?? []) as ModdleElement[]).map((e) => e.id as string),
];

/** Exports a definition to BPMN XML (formatted), with a diagram. */
export async function exportBpmn(def: Definition, o: ExportOptions = {}): Promise<string> {
  const dialect = o.dialect === undefined ? defaultDialect : dialectNamed(o.dialect);
  const moddle = createModdle(dialect.packages);
  const bpmnMeta = (def.meta?.bpmn ?? {}) as {
    definitionsId?: string;
    /** The process had a message start event: its message's name ('' for none). */
    startMessage?: string;
    diagram?: StoredDiagram;
    namespaces?: Record<string, string>;
  };
  // a file's own diagram is kept as it was drawn: joins are made explicit only in diagrams gravity draws
  const graph = definitionToGraph(def, { explicitJoins: !bpmnMeta.diagram });
  const process = moddle.create('bpmn:Process', {
    id: processIdOf(def),
    isExecutable: true,
    ...(def.title ? { name: def.title } : {}),
  });
  if (def.description) process.documentation = [moddle.create('bpmn:Documentation', { text: def.description })];
  const errors: ModdleElement[] = [];
  const w: WriteContext & { errors: ModdleElement[] } = {
    moddle,
    errors,
    ...(bpmnMeta.startMessage !== undefined ? { startMessage: bpmnMeta.startMessage } : {}),
    extend(el, ext) {
      el.extensionElements ??= moddle.create('bpmn:ExtensionElements', { values: [] });
      el.extensionElements.get('values').push(ext);
    },
  };
  dialect.writeProcess(def, process, w);
  if (dialect.keepsForeign) restoreForeign(moddle, process, def.meta?.bpmn);
  process.flowElements = [];
  build(moddle, dialect, graph, process, w, dialect.keepsForeign === true);
  const definitions = moddle.create('bpmn:Definitions', {
    id: bpmnMeta.definitionsId ?? `Definitions_${processIdOf(def)}`,
    targetNamespace: 'https://gravity.kytes.dev/workflows',
    exporter: 'gravity',
    exporterVersion: '0.1.0',
    rootElements: [...errors, process],
  });
  // other vendors' prefixes, so their preserved attributes and elements serialize under the same names
  if (dialect.keepsForeign) {
    for (const [prefix, uri] of Object.entries(bpmnMeta.namespaces ?? {}))
      if (!isOwnPrefix(prefix)) definitions.$attrs[`xmlns:${prefix}`] = uri;
  }
  const restored = bpmnMeta.diagram && restoreDiagram(moddle, definitions, process, bpmnMeta.diagram);
  if (!restored) definitions.diagrams = [layoutDiagram(moddle, process, rootIds(definitions))];
  return (await moddle.toXML(definitions, { format: true })).xml;
}
