// The gravity dialect in detail: exact attributes and elements export writes, and what import makes of hand-written files.
import { describe, it, expect } from 'vitest';
import {
  attention,
  call,
  decide,
  DefinitionError,
  sequence,
  task,
  wait,
  workflow,
  type Definition,
} from '../../engine/index.js';
import { exportBpmn } from '../../bpmn/export.js';
import { importBpmn, NotExecutableError } from '../../bpmn/import.js';
import { createModdle, type ModdleElement } from '../../bpmn/moddle.js';
import { gravityDialect } from '../../bpmn/dialects/gravity.js';

const NS = 'https://gravity.kytes.dev/schema/bpmn/1.0';

/** A gravity file: start -> service task <t> -> end <e>, with the given extension elements on the process, task and end. */
function gravityFile(o: { process?: string; task?: string; end?: string } = {}): string {
  const { process = '<gravity:workflow id="test:hand" />', task = '<gravity:task type="exec.run" />', end = '' } = o;
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:gravity="${NS}" xmlns:other="urn:example:other" id="D" targetNamespace="x">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:extensionElements>${process}</bpmn:extensionElements>
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="t"><bpmn:extensionElements>${task}</bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:endEvent id="e"><bpmn:extensionElements>${end}</bpmn:extensionElements><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t" /><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>`;
}

/** A gravity file whose gateway <g> goes to <yes> when the condition of flow <fy> holds, else to <no>. */
function conditionFile(condition: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:gravity="${NS}" id="D" targetNamespace="x">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:extensionElements><gravity:workflow id="test:cond" /></bpmn:extensionElements>
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:exclusiveGateway id="g" default="fn"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>fy</bpmn:outgoing><bpmn:outgoing>fn</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:endEvent id="yes"><bpmn:incoming>fy</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="no"><bpmn:incoming>fn</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="g" />
    <bpmn:sequenceFlow id="fy" sourceRef="g" targetRef="yes">${condition}</bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="fn" sourceRef="g" targetRef="no" />
  </bpmn:process>
</bpmn:definitions>`;
}

async function parse(xml: string): Promise<Record<string, ModdleElement>> {
  return (await createModdle(gravityDialect.packages).fromXML(xml)).elementsById;
}
const exts = (el: ModdleElement) => (el.extensionElements?.values ?? []) as ModdleElement[];
const ext = (el: ModdleElement, type: string) => exts(el).find((e) => e.$type === type);

async function importError(xml: string): Promise<unknown> {
  return importBpmn(xml).then(
    () => undefined,
    (e: unknown) => e,
  );
}
async function problems(xml: string) {
  const err = await importError(xml);
  expect(err).toBeInstanceOf(NotExecutableError);
  return (err as NotExecutableError).problems;
}

describe('gravity export and import of workflow params', () => {
  const def = (): Definition =>
    workflow({
      id: 'test:params',
      version: '3.1.0',
      params: {
        quiet: { type: 'boolean', required: false },
        mode: { type: 'string', enum: ['fast', 'slow'], default: 'fast' },
        bare: { type: 'string' },
      },
      steps: task('t', 'exec.run'),
    });

  it('writes required="false", enum and default as attributes, and nothing for options a param does not set', async () => {
    // when
    const xml = await exportBpmn(def(), { dialect: 'gravity' });
    // then
    expect(xml).toContain('<gravity:param name="quiet" type="boolean" required="false" />');
    expect(xml).toContain(
      '<gravity:param name="mode" type="string" default="&#34;fast&#34;" enum="[&#34;fast&#34;,&#34;slow&#34;]" />',
    );
    expect(xml).toContain('<gravity:param name="bare" type="string" />');
    expect(xml).toContain('<gravity:workflow id="test:params" version="3.1.0">');
  });

  it('reads each param back with exactly the options the file gives it', async () => {
    // when
    const { definition } = await importBpmn(await exportBpmn(def(), { dialect: 'gravity' }));
    // then: no option key appears that the file does not have
    expect(definition.version).toBe('3.1.0');
    expect(definition.params).toStrictEqual({
      quiet: { type: 'boolean', required: false },
      mode: { type: 'string', default: 'fast', enum: ['fast', 'slow'] },
      bare: { type: 'string' },
    });
  });

  it('refuses a param default that is not JSON, naming the process and the param', async () => {
    // given
    const xml = gravityFile({
      process:
        '<gravity:workflow id="test:hand"><gravity:param name="n" type="integer" default="{three" /></gravity:workflow>',
    });
    // when
    const err = await importError(xml);
    // then
    expect(err).toBeInstanceOf(DefinitionError);
    expect((err as DefinitionError).message).toMatch(/^<p>: default of param n is not valid JSON: /);
    expect((err as DefinitionError).details).toEqual({ element: 'p' });
  });
});

describe('gravity export and import of workflow meta', () => {
  it('writes the workflow meta without its bpmn bookkeeping, also after an import', async () => {
    // given a workflow with meta, imported once (so that its meta also holds `bpmn`)
    const def = workflow({ id: 'test:meta', steps: task('t', 'exec.run') });
    def.meta = { team: 'ops' };
    const imported = (await importBpmn(await exportBpmn(def, { dialect: 'gravity' }))).definition;
    expect(imported.meta).toMatchObject({ team: 'ops', bpmn: expect.any(Object) });
    // when
    const xml = await exportBpmn(imported, { dialect: 'gravity' });
    // then
    const meta = ext((await parse(xml)).test_meta, 'gravity:Workflow')!.meta;
    expect(meta.value).toBe('{"team":"ops"}');
  });

  it('writes no gravity:meta for a workflow whose meta only holds its bpmn bookkeeping', async () => {
    // given
    const def = workflow({ id: 'test:nometa', steps: task('t', 'exec.run') });
    const imported = (await importBpmn(await exportBpmn(def, { dialect: 'gravity' }))).definition;
    expect(Object.keys(imported.meta ?? {})).toEqual(['bpmn']);
    // when
    const xml = await exportBpmn(imported, { dialect: 'gravity' });
    // then
    expect(xml).toContain('<gravity:workflow id="test:nometa" />');
    expect(xml).not.toContain('gravity:meta');
  });

  it('reads the workflow extension among other vendors extensions of the process', async () => {
    // given a foreign extension before gravity:workflow
    const xml = gravityFile({
      process:
        '<other:thing a="1" /><gravity:workflow id="test:found" version="2.0.0"><gravity:meta>{"team":"ops"}</gravity:meta></gravity:workflow>',
    });
    // when
    const { definition } = await importBpmn(xml);
    // then
    expect(definition.id).toBe('test:found');
    expect(definition.version).toBe('2.0.0');
    expect(definition.meta).toMatchObject({ team: 'ops' });
  });

  it('reads a blank gravity:meta as no meta', async () => {
    // given blanks kept by a CDATA section (the XML reader drops a body of blanks otherwise)
    const meta = '<gravity:meta><![CDATA[  \n ]]></gravity:meta>';
    // when
    const { definition } = await importBpmn(
      gravityFile({ process: `<gravity:workflow id="test:hand">${meta}</gravity:workflow>` }),
    );
    // then
    expect(Object.keys(definition.meta ?? {})).toEqual(['bpmn']);
  });

  it('refuses a gravity:meta that is not JSON, naming the process', async () => {
    // when
    const err = await importError(
      gravityFile({
        process: '<gravity:workflow id="test:hand"><gravity:meta>{team: ops}</gravity:meta></gravity:workflow>',
      }),
    );
    // then
    expect(err).toBeInstanceOf(DefinitionError);
    expect((err as DefinitionError).message).toMatch(/^<p>: gravity:meta is not valid JSON: /);
    expect((err as DefinitionError).details).toEqual({ element: 'p' });
  });
});

describe('gravity export of tasks', () => {
  it('names the called process on a call activity only', async () => {
    // when
    const byId = await parse(
      await exportBpmn(
        workflow({ id: 'test:calls', steps: sequence(task('t', 'exec.run'), call('c', 'host:doctor')) }),
        { dialect: 'gravity' },
      ),
    );
    // then
    expect(byId.t.$type).toBe('bpmn:ServiceTask');
    expect(byId.t.calledElement).toBeUndefined();
    expect(byId.c.calledElement).toBe('host_doctor');
    expect(ext(byId.c, 'gravity:Task')!.type).toBe('workflow:host:doctor');
  });

  it('writes a map input as one named gravity:input per entry, with JSON values', async () => {
    // when
    const xml = await exportBpmn(
      workflow({ id: 'test:named', steps: task('t', 'git.clone', { url: '=params.url', depth: 1 }) }),
      { dialect: 'gravity' },
    );
    // then
    expect(xml).toContain('<gravity:input name="url">"=params.url"</gravity:input>');
    expect(xml).toContain('<gravity:input name="depth">1</gravity:input>');
  });

  it.each([
    ['a list', ['a', 1, { b: true }], '<gravity:input>["a",1,{"b":true}]</gravity:input>'],
    ['an expression', '=params.cmd', '<gravity:input>"=params.cmd"</gravity:input>'],
    ['null', null, '<gravity:input>null</gravity:input>'],
  ])('writes %s input as one unnamed gravity:input and reads it back the same', async (_what, input, element) => {
    // given
    const def = workflow({ id: 'test:whole', steps: task('t', 'exec.run', input) });
    // when
    const xml = await exportBpmn(def, { dialect: 'gravity' });
    const { definition } = await importBpmn(xml);
    // then
    expect(xml).toContain(element);
    expect(definition.machine.states.t.invoke).toStrictEqual({ src: 'exec.run', input });
  });

  it('writes no gravity:input for a task without input, and reads it back without one', async () => {
    // given
    const def = workflow({ id: 'test:noinput', steps: task('t', 'fs.touch') });
    // when
    const xml = await exportBpmn(def, { dialect: 'gravity' });
    const { definition } = await importBpmn(xml);
    // then
    expect(xml).not.toContain('gravity:input');
    expect(definition.machine.states.t.invoke).toStrictEqual({ src: 'fs.touch' });
  });

  it('writes mergeOutput, the exact retry and the extra meta (without the keys it maps itself)', async () => {
    // given
    const def = workflow({
      id: 'test:taskmeta',
      steps: task(
        't',
        'exec.run',
        { cmd: ['x'] },
        {
          title: 'Run it',
          documentation: 'runs it',
          timeoutMs: 5000,
          outputs: { code: '=output.code' },
          retry: { max: 3, backoffMs: 100, factor: 3, maxBackoffMs: 500 },
        },
      ),
    });
    def.machine.states.t.meta = { ...def.machine.states.t.meta, mergeOutput: true, owner: 'ops' };
    // when
    const xml = await exportBpmn(def, { dialect: 'gravity' });
    // then
    const t = ext((await parse(xml)).t, 'gravity:Task')!;
    expect(t.mergeOutput).toBe(true);
    expect(t.timeoutMs).toBe(5000);
    expect(t.meta.value).toBe('{"owner":"ops"}');
    expect(xml).toContain('<gravity:retry max="3" backoffMs="100" factor="3" maxBackoffMs="500" />');
    // and reads them back
    const meta = (await importBpmn(xml)).definition.machine.states.t.meta!;
    expect(meta).toMatchObject({ mergeOutput: true, owner: 'ops', timeoutMs: 5000, outputs: { code: '=output.code' } });
    expect(meta.retry).toStrictEqual({ max: 3, backoffMs: 100, factor: 3, maxBackoffMs: 500 });
  });

  it('reads a retry back with only the fields the file has', async () => {
    // when
    const { definition } = await importBpmn(
      gravityFile({ task: '<gravity:task type="exec.run"><gravity:retry max="4" /></gravity:task>' }),
    );
    // then
    expect(definition.machine.states.t.meta?.retry).toStrictEqual({ max: 4 });
  });

  it('writes no gravity:meta for a task whose meta gravity maps entirely', async () => {
    // when
    const xml = await exportBpmn(
      workflow({ id: 'test:titled', steps: task('t', 'exec.run', undefined, { title: 'Titled', timeoutMs: 10 }) }),
      { dialect: 'gravity' },
    );
    // then
    expect(ext((await parse(xml)).t, 'gravity:Task')!.meta).toBeUndefined();
    expect(xml).not.toContain('gravity:meta');
    expect(xml).not.toContain('mergeOutput');
  });
});

describe('gravity import of tasks', () => {
  it('refuses a service task without gravity:task, naming the element', async () => {
    // when
    const found = await problems(gravityFile({ task: '<other:thing />' }));
    // then
    expect(found).toEqual([
      {
        element: 't',
        type: 'bpmn:ServiceTask',
        message: '<t> (bpmn:ServiceTask) has no gravity:task type: which task node should run it?',
      },
    ]);
  });

  it('says which element has no gravity:task type in the error details', () => {
    // given
    const moddle = createModdle(gravityDialect.packages);
    const el = moddle.create('bpmn:ServiceTask', { id: 'Task_9' });
    // when
    const read = () => gravityDialect.readTask(el, { extensions: () => [] }, 'Task_9');
    // then
    expect(read).toThrow(DefinitionError);
    expect(read).toThrow('<Task_9> (bpmn:ServiceTask) has no gravity:task type: which task node should run it?');
    try {
      read();
    } catch (e) {
      expect((e as DefinitionError).details).toEqual({ element: 'Task_9' });
    }
  });

  it('returns no input for a task without gravity:input', () => {
    // given
    const moddle = createModdle(gravityDialect.packages);
    const el = moddle.create('bpmn:ServiceTask', { id: 'T' });
    const t = moddle.create('gravity:Task', { type: 'exec.run' });
    // when
    const data = gravityDialect.readTask(el, { extensions: () => [t] }, 'T');
    // then
    expect(data).toStrictEqual({ src: 'exec.run', meta: {} });
  });

  it.each([
    ['an unnamed input', '<gravity:input>[1,</gravity:input>', /^<t>: gravity:input is not valid JSON: /],
    [
      'a named input',
      '<gravity:input name="url">https://x</gravity:input>',
      /^<t>: gravity:input url is not valid JSON: /,
    ],
  ])('refuses %s that is not JSON, naming the element and the input', async (_what, input, message) => {
    // when
    const found = await problems(gravityFile({ task: `<gravity:task type="exec.run">${input}</gravity:task>` }));
    // then
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ element: 't', type: 'bpmn:ServiceTask' });
    expect(found[0].message).toMatch(message);
  });

  it('reads an output mapping without a value as an empty string', async () => {
    // when
    const { definition } = await importBpmn(
      gravityFile({
        task: '<gravity:task type="exec.run"><gravity:output name="empty" /><gravity:output name="code">=output.code</gravity:output></gravity:task>',
      }),
    );
    // then
    expect(definition.machine.states.t.meta?.outputs).toEqual({ empty: '', code: '=output.code' });
  });

  it('reads mergeOutput="true" as a merging task', async () => {
    // when
    const { definition } = await importBpmn(
      gravityFile({ task: '<gravity:task type="exec.run" mergeOutput="true" />' }),
    );
    // then
    expect(definition.machine.states.t.meta?.mergeOutput).toBe(true);
  });
});

describe('gravity conditions and delays', () => {
  it('writes a condition as FEEL, marked with language="feel"', async () => {
    // given
    const def = workflow({
      id: 'test:decide',
      steps: decide('g', [{ when: 'n > 1', then: task('big', 'exec.run') }], task('small', 'exec.run')),
    });
    // when
    const xml = await exportBpmn(def, { dialect: 'gravity' });
    // then
    const flow = (await parse(xml)).Flow_g_big;
    expect(flow.conditionExpression.body).toBe('n > 1');
    expect(flow.conditionExpression.language).toBe('feel');
  });

  it.each([
    ['plain FEEL', 'a &gt; 1', 'a > 1'],
    ['FEEL with a leading =', '=a &gt; 1', 'a > 1'],
    ['FEEL padded with blanks', '  =a &gt; 1 \n ', 'a > 1'],
  ])('reads a condition in %s', async (_what, body, expr) => {
    // when
    const { definition } = await importBpmn(
      conditionFile(`<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${body}</bpmn:conditionExpression>`),
    );
    // then
    expect(definition.machine.states.g.always).toEqual([
      { target: 'yes', guard: { type: 'expr', params: { expr } } },
      { target: 'no' },
    ]);
  });

  it.each([
    ['a blank body', '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">   </bpmn:conditionExpression>'],
    ['no body', '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression" />'],
  ])('refuses a condition with %s, naming the flow', async (_what, condition) => {
    // when
    const found = await problems(conditionFile(condition));
    // then
    expect(found).toEqual([{ element: 'fy', type: 'bpmn:SequenceFlow', message: '<fy>: empty condition' }]);
  });

  it('says which flow has an empty condition in the error details', () => {
    // when
    const read = () => gravityDialect.readCondition({ body: ' ' }, 'Flow_1');
    // then
    expect(read).toThrow('<Flow_1>: empty condition');
    try {
      read();
    } catch (e) {
      expect((e as DefinitionError).details).toEqual({ element: 'Flow_1' });
    }
  });

  it('reads a timer body trimmed', () => {
    expect(gravityDialect.readDelay('  1500\n', 'T')).toBe('1500');
    expect(gravityDialect.readDelay(' =params.delay ', 'T')).toBe('=params.delay');
  });

  it('writes and reads a timer delay in milliseconds and as an expression', async () => {
    // given
    const def = workflow({ id: 'test:waits', steps: sequence(wait('w1', 1500), wait('w2', '=params.delay')) });
    // when
    const { definition } = await importBpmn(await exportBpmn(def, { dialect: 'gravity' }));
    // then
    expect(definition.machine.states.w2.after).toEqual({ '=params.delay': 'done' });
  });
});

describe('gravity end events', () => {
  it('writes no extension elements on an end without output or extra meta', async () => {
    // when
    const byId = await parse(
      await exportBpmn(workflow({ id: 'test:end', steps: task('t', 'exec.run') }), { dialect: 'gravity' }),
    );
    // then
    expect(exts(byId.done)).toEqual([]);
  });

  it('keeps the output and the meta of an end apart', async () => {
    // given an attention end without output, and an end with an output
    const def = workflow({
      id: 'test:ends',
      steps: decide('g', [{ when: 'n > 1', then: attention('look', 'check the host') }], task('t', 'exec.run')),
      output: { ok: true },
    });
    // when
    const xml = await exportBpmn(def, { dialect: 'gravity' });
    const { definition } = await importBpmn(xml);
    // then
    const byId = await parse(xml);
    expect(exts(byId.look).map((e) => e.$type)).toEqual(['gravity:Meta']);
    expect(ext(byId.done, 'gravity:Result')!.value).toBe('{"ok":true}');
    const s = definition.machine.states;
    expect(s.look.output).toBeUndefined();
    expect(s.look.meta?.attention).toEqual(def.machine.states.look.meta?.attention);
    expect(s.done.output).toEqual({ ok: true });
  });

  it('reads the result of an end whose gravity:meta comes first', async () => {
    // when
    const { definition } = await importBpmn(
      gravityFile({ end: '<gravity:meta>{"note":"n"}</gravity:meta><gravity:result>{"x":1}</gravity:result>' }),
    );
    // then
    expect(definition.machine.states.e.output).toEqual({ x: 1 });
    expect(definition.machine.states.e.meta).toMatchObject({ note: 'n' });
  });

  it('reads a blank gravity:result as no output', async () => {
    // when
    const { definition } = await importBpmn(gravityFile({ end: '<gravity:result><![CDATA[ ]]></gravity:result>' }));
    // then
    expect(definition.machine.states.e).not.toHaveProperty('output');
  });

  it('refuses a gravity:result that is not JSON, naming the end event', async () => {
    // when
    const err = await importError(gravityFile({ end: '<gravity:result>{x: 1}</gravity:result>' }));
    // then
    expect(err).toBeInstanceOf(DefinitionError);
    expect((err as DefinitionError).message).toMatch(/^<e>: gravity:result is not valid JSON: /);
  });
});
