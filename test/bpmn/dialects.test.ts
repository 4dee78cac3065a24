// Camunda 7 and Zeebe dialects: export shape, clean re-parse and a lossless round trip for every feature of the builder.
import { describe, it, expect } from 'vitest';
import {
  call,
  decide,
  fail,
  parallel,
  retry,
  sequence,
  task,
  wait,
  workflow,
  type Definition,
} from '../../engine/index.js';
import { exportBpmn } from '../../bpmn/export.js';
import { importBpmn } from '../../bpmn/import.js';
import { createModdle, type ModdleElement } from '../../bpmn/moddle.js';
import { detectDialect, dialectNamed } from '../../bpmn/dialects/index.js';
import { normalized } from './normalize.js';

const full = (): Definition =>
  workflow({
    id: 'test:full',
    title: 'Every feature',
    description: 'Exercises every mapping',
    version: '1.2.0',
    params: {
      name: { type: 'string', description: 'who', pattern: '^[a-z]+$' },
      count: { type: 'integer', default: 3 },
      verbose: { type: 'boolean', required: false },
      mode: { type: 'string', enum: ['fast', 'slow'], default: 'fast' },
      tags: { type: 'array', default: ['a', 'b'] },
    },
    steps: sequence(
      retry(
        task(
          'clone',
          'git.clone',
          {
            url: '=params.url',
            dir: '/tmp/x',
            depth: 1,
            ratio: -2.5,
            bare: false,
            none: null,
            args: ['--quiet', '=params.name', 2, [true]],
            env: { HOME: '/root', USER: '=params.name', nested: { on: true, list: [] } },
            label: '="v" + string(params.count)',
            branch: '="origin/" + params.name',
            dollar: 'a ${b} c',
            spaced: ' padded ',
            empty: '',
          },
          {
            title: 'Clone the repository',
            documentation: 'Clones the repository',
            timeoutMs: 30_000,
            outputs: { head: '=output.head', tag: 'v1' },
            onError: fail('clone_failed', 'clone failed'),
            timeout: { ms: 60_000, then: task('notify', 'exec.run', { cmd: ['echo', 'slow'] }) },
          },
        ),
        { max: 4, backoffMs: 1000, factor: 2 },
      ),
      decide(
        'check',
        [
          { when: 'params.count > 3 and not(params.verbose)', then: task('big', 'exec.run', { cmd: ['big'] }) },
          { when: 'params.name = "x" or params.count <= 1', then: wait('pause', 'PT2M') },
        ],
        task('small', 'exec.run', { cmd: ['small'] }, { onError: 'continue' }),
      ),
      parallel(
        'both',
        task('left', 'exec.run', { cmd: ['l'] }),
        sequence(wait('nap', 1500), task('right', 'exec.run', { cmd: ['r'] })),
      ),
      call('sub', 'host:doctor', { host: '=params.name', deep: true }),
      wait('later', '=params.delay'),
    ),
    output: { head: '=head', ok: true },
  });

/** Merge semantics, inputs that are not named params, constant backoff, extra meta. */
const variants = (): Definition => {
  const def = workflow({
    id: 'test:variants',
    steps: sequence(
      task('merged', 'exec.run', { cmd: ['a'] }, { outputs: { code: '=output.code' } }),
      task('bare', 'fs.touch'),
      retry(task('whole', 'exec.run', '=params.cmd'), { max: 3, backoffMs: 5000, factor: 1 }),
      call('child', 'host:doctor'),
      call('child2', 'env:init', { name: 'x' }, { outputs: { id: '=output.id' } }),
    ),
  });
  const s = def.machine.states;
  s.merged.meta = { ...s.merged.meta, mergeOutput: true };
  s.bare.meta = { mergeOutput: true, owner: 'ops' };
  s.child.meta = { mergeOutput: true };
  def.meta = { team: 'ops' };
  return def;
};

const DIALECTS = ['camunda7', 'zeebe'] as const;
const DEFINITIONS = [
  ['every feature', full],
  ['merge, input and retry variants', variants],
] as const;

async function parse(
  xml: string,
  dialect: string,
): Promise<{ byId: Record<string, ModdleElement>; warnings: unknown[] }> {
  const r = await createModdle(dialectNamed(dialect).packages).fromXML(xml);
  return { byId: r.elementsById, warnings: r.warnings };
}
const ext = (el: ModdleElement, type: string) =>
  ((el.extensionElements?.values ?? []) as ModdleElement[]).find((e) => e.$type === type);

describe.each(DIALECTS)('the %s dialect', (dialect) => {
  it.each(DEFINITIONS)('exports %s as BPMN that bpmn-moddle reads with zero warnings', async (_name, build) => {
    const xml = await exportBpmn(build(), { dialect });
    expect((await parse(xml, dialect)).warnings).toEqual([]);
    expect(detectDialect(xml)).toBe(dialect);
  });

  it.each(DEFINITIONS)('imports %s back to the same definition', async (_name, build) => {
    const def = build();
    const { definition, dialect: read, warnings } = await importBpmn(await exportBpmn(def, { dialect }));
    expect(read).toBe(dialect);
    expect(warnings).toEqual([]);
    expect(normalized(definition)).toEqual(normalized(def));
  });

  it('survives a second round trip unchanged', async () => {
    const once = (await importBpmn(await exportBpmn(full(), { dialect }))).definition;
    const twice = (await importBpmn(await exportBpmn(once, { dialect }))).definition;
    expect(normalized(twice)).toEqual(normalized(once));
  });
});

describe('Camunda 7 export', () => {
  it('writes external tasks by topic, camunda:inputOutput with typed JUEL values, retries and properties', async () => {
    const { byId } = await parse(await exportBpmn(full(), { dialect: 'camunda7' }), 'camunda7');
    const clone = byId.clone;
    expect(clone.get('camunda:type')).toBe('external');
    expect(clone.get('camunda:topic')).toBe('git.clone');
    expect(clone.get('camunda:asyncBefore')).toBe(true);
    expect(ext(clone, 'camunda:FailedJobRetryTimeCycle')!.body).toBe('PT1S,PT2S,PT4S');
    const io = ext(clone, 'camunda:InputOutput')!;
    const input = Object.fromEntries((io.inputParameters as ModdleElement[]).map((p) => [p.name, p]));
    expect(input.url.value).toBe('${params.url}');
    expect(input.dir.value).toBe('/tmp/x');
    expect([input.depth.value, input.ratio.value, input.bare.value, input.none.value]).toEqual([
      '${1}',
      '${-2.5}',
      '${false}',
      '${null}',
    ]);
    expect(input.label.value).toBe('v${params.count}');
    expect(input.dollar.value).toBe("${'a ${b} c'}");
    expect(input.args.definition.$type).toBe('camunda:List');
    expect((input.args.definition.items as ModdleElement[]).map((i) => i.value ?? i.$type)).toEqual([
      '--quiet',
      '${params.name}',
      '${2}',
      'camunda:List',
    ]);
    expect(input.env.definition.$type).toBe('camunda:Map');
    expect((input.env.definition.entries as ModdleElement[]).map((e) => e.key)).toEqual(['HOME', 'USER', 'nested']);
    expect((io.outputParameters as ModdleElement[]).map((p) => [p.name, p.value])).toEqual([
      ['head', '${output.head}'],
      ['tag', 'v1'],
    ]);
    const props = (el: ModdleElement) =>
      Object.fromEntries(
        ((ext(el, 'camunda:Properties')?.values ?? []) as ModdleElement[]).map((p) => [p.name, JSON.parse(p.value)]),
      );
    expect(input.branch.value).toBe('origin/${params.name}');
    expect(props(clone)).toEqual({
      'gravity.retry': { max: 4, backoffMs: 1000, factor: 2 },
      'gravity.timeoutMs': 30000,
      'gravity.feel': [[['input', 'branch'], '="origin/" + params.name']],
    });
    expect(props(byId.notify)).toEqual({ 'gravity.mergeOutput': false });
    expect(props(byId.done)).toEqual({ 'gravity.output': { head: '=head', ok: true } });
    expect(props(byId.test_full)).toMatchObject({ 'gravity.id': 'test:full', 'gravity.params': full().params });
    expect(byId.test_full.get('camunda:versionTag')).toBe('1.2.0');
    expect(byId.Flow_check_big.conditionExpression.body).toBe('${params.count > 3 && !params.verbose}');
    expect(byId.Flow_check_pause.conditionExpression.body).toBe("${params.name == 'x' || params.count <= 1}");
    expect(byId.later.eventDefinitions[0].timeDuration.body).toBe('${params.delay}');
    expect(byId.sub.calledElement).toBe('host_doctor');
  });

  it('keeps a FEEL spelling JUEL cannot hold, unless the JUEL was edited since', async () => {
    const xml = await exportBpmn(full(), { dialect: 'camunda7' });
    const input = async (text: string) =>
      (await importBpmn(text)).definition.machine.states.clone.invoke!.input as Record<string, unknown>;
    expect((await input(xml)).branch).toBe('="origin/" + params.name');
    expect((await input(xml.replace('origin/${params.name}', 'upstream/${params.name}'))).branch).toBe(
      '="upstream/" + string(params.name)',
    );
  });
});

describe('Zeebe export', () => {
  it('writes job types with retries, FEEL mappings with literals as FEEL, `=` conditions and properties', async () => {
    const { byId } = await parse(await exportBpmn(full(), { dialect: 'zeebe' }), 'zeebe');
    expect(ext(byId.clone, 'zeebe:TaskDefinition')).toMatchObject({ type: 'git.clone', retries: '4' });
    expect(ext(byId.notify, 'zeebe:TaskDefinition')).toMatchObject({ type: 'exec.run', retries: '1' });
    const io = ext(byId.clone, 'zeebe:IoMapping')!;
    const input = Object.fromEntries((io.inputParameters as ModdleElement[]).map((p) => [p.target, p.source]));
    expect(input).toMatchObject({
      url: '=params.url',
      dir: '="/tmp/x"',
      depth: '=1',
      ratio: '=-2.5',
      bare: '=false',
      none: '=null',
      args: '=["--quiet", params.name, 2, [true]]',
      env: '={HOME: "/root", USER: params.name, nested: {on: true, list: []}}',
      label: '="v" + string(params.count)',
      empty: '=""',
    });
    expect((io.outputParameters as ModdleElement[]).map((p) => [p.target, p.source])).toEqual([
      ['head', '=output.head'],
      ['tag', '="v1"'],
    ]);
    expect(ext(byId.test_full, 'zeebe:VersionTag')!.value).toBe('1.2.0');
    expect(ext(byId.sub, 'zeebe:CalledElement')).toMatchObject({
      processId: 'host_doctor',
      propagateAllChildVariables: false,
    });
    expect(byId.Flow_check_big.conditionExpression.body).toBe('=params.count > 3 and not(params.verbose)');
    expect(byId.later.eventDefinitions[0].timeDuration.body).toBe('=params.delay');
  });
});

describe('dialect detection', () => {
  it.each([
    ['xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"', 'zeebe'],
    ['xmlns:gravity="https://gravity.kytes.dev/schema/bpmn/1.0"', 'gravity'],
    ['xmlns:camunda="http://camunda.org/schema/1.0/bpmn"', 'camunda7'],
    ['', 'camunda7'],
  ])('reads a file declaring %j as %s', (ns, expected) => {
    expect(
      detectDialect(
        `<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" ${ns}></bpmn:definitions>`,
      ),
    ).toBe(expected);
  });
});
