// Importing vendor files gravity did not write: a Camunda Modeler file, JUEL outside the subset, and value tables of both dialects.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importBpmn, NotExecutableError } from '../../bpmn/import.js';
import { decodeOutput, decodeText } from '../../bpmn/dialects/camunda-values.js';
import { decodeFeel, encodeFeel } from '../../bpmn/dialects/feel-literal.js';
import { parseRetryCycle, retryCycle } from '../../bpmn/dialects/vendor-props.js';

const FIXTURE = readFileSync(join(import.meta.dirname, '../fixtures/bpmn/camunda7/deploy-app.bpmn'), 'utf8');

async function rejection(xml: string): Promise<NotExecutableError> {
  const err = await importBpmn(xml).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NotExecutableError);
  return err as NotExecutableError;
}

describe('a plain Camunda 7 file', () => {
  it('imports external tasks, JUEL inputs and conditions, boundaries and output semantics', async () => {
    const { definition: def, dialect, warnings } = await importBpmn(FIXTURE);
    expect(dialect).toBe('camunda7');
    expect(warnings).toEqual([]);
    expect(def.id).toBe('bpmn:deploy_app');
    expect(def.title).toBe('Deploy the app');
    expect(def.params).toBeUndefined();
    const s = def.machine.states;
    expect(def.machine.initial).toBe('Activity_fetch');
    expect(s.Activity_fetch.invoke).toEqual({
      src: 'git.clone',
      input: {
        url: '=repoUrl',
        dir: '/srv/app',
        message: '="Deploying " + string(app) + " to " + string(env.name)',
        depth: 1,
        branches: ['main', '=branch'],
        env: { HOME: '/root', RETRIES: 3 },
      },
    });
    expect(s.Activity_fetch.meta).toMatchObject({ title: 'Fetch sources', mergeOutput: true });
    expect(s.Activity_fetch.onError).toBe('Event_failed');
    expect(s.Activity_fetch.after).toEqual({ 600000: 'Event_timedOut' });
    expect(s.Event_failed.meta?.fail).toEqual({ message: 'fetch failed' });
    expect(s.Gateway_size.always).toEqual([
      { target: 'Activity_big', guard: { type: 'expr', params: { expr: 'x > 3 and not(done)' } } },
      { target: 'Activity_small' },
    ]);
    expect(s.Activity_big.meta?.outputs).toEqual({ deployed: '=exitCode = 0' });
    expect(s.Activity_big.meta?.mergeOutput).toBeUndefined();
    expect(s.Activity_small.invoke).toEqual({ src: 'exec.run' });
    expect(s.Activity_small.meta?.mergeOutput).toBe(true);
  });

  it('takes the workflow id from --as', async () => {
    expect((await importBpmn(FIXTURE, { as: 'app:deploy' })).definition.id).toBe('app:deploy');
  });

  it('refuses JUEL outside the subset, naming the element and the expression', async () => {
    const err = await rejection(FIXTURE.replace('${repoUrl}', "${execution.getVariable('x')}"));
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatchObject({ element: 'Activity_fetch', type: 'bpmn:ServiceTask' });
    expect(err.message).toContain("${execution.getVariable('x')}");
    expect(err.message).toContain('method call .getVariable()');
  });

  it('refuses a condition outside the subset on the flow that carries it', async () => {
    const err = await rejection(FIXTURE.replace('${x &gt; 3 &amp;&amp; !done}', '${x.size() &gt; 3}'));
    expect(err.problems[0]).toMatchObject({ element: 'Flow_4big', type: 'bpmn:SequenceFlow' });
    expect(err.message).toContain('${x.size() > 3}');
  });

  it('refuses a Java delegate service task, saying what gravity runs instead', async () => {
    const err = await rejection(
      FIXTURE.replace(
        'camunda:type="external" camunda:topic="exec.run">\n      <bpmn:incoming>Flow_5small',
        'camunda:class="org.acme.Deploy">\n      <bpmn:incoming>Flow_5small',
      ),
    );
    expect(err.problems[0].element).toBe('Activity_small');
    expect(err.message).toMatch(/Java delegate \(camunda:class\).*camunda:type="external"/);
  });
});

describe('Camunda 7 values', () => {
  it.each([
    ['plain text', 'hello', 'hello'],
    ['padded text, trimmed as Camunda does', '  hello ', 'hello'],
    ['an empty body', '', null],
    ['a number literal', '${20}', 20],
    ['a negative number literal', '${-1.5}', -1.5],
    ['a boolean literal', '${true}', true],
    ['null', '${null}', null],
    ['a quoted string literal', "${'a ${b}'}", 'a ${b}'],
    ['a variable', '${x}', '=x'],
    ['a path with an index', "${a.b[0]['c d']}", '=get value(a.b[1], "c d")'],
    ['text with an embedded expression', 'v${n}!', '="v" + string(n) + "!"'],
    ['text starting with =', '=x', '="=x"'],
    ['an escaped expression', '\\${x}', '${x}'],
  ])('reads %s', (_what, body, expected) => {
    expect(decodeText(body, 'Task_1')).toEqual(expected);
  });

  it('reads output parameters as strings', () => {
    expect([decodeOutput('${20}', 'T'), decodeOutput('${x.y}', 'T'), decodeOutput('ok', 'T')]).toEqual([
      '=20',
      '=x.y',
      'ok',
    ]);
  });

  it.each([
    [{ max: 4, backoffMs: 1000, factor: 2 }, 'PT1S,PT2S,PT4S'],
    [{ max: 3, backoffMs: 30_000, factor: 1 }, 'R2/PT30S'],
    [{ max: 5, backoffMs: 40_000, factor: 2, maxBackoffMs: 60_000 }, 'PT40S,PT1M,PT1M,PT1M'],
  ])('writes retry policy %j as the time cycle %s', (policy, cycle) => {
    expect(retryCycle(policy)).toBe(cycle);
  });

  it('reads a time cycle back as a policy when no gravity.retry property is there', () => {
    expect(parseRetryCycle('R3/PT10S', 'T')).toEqual({ max: 4, backoffMs: 10_000, factor: 1 });
    expect(parseRetryCycle('PT1S,PT2S,PT4S', 'T')).toEqual({ max: 4, backoffMs: 1000, factor: 2 });
  });
});

describe('Zeebe values', () => {
  it.each([
    ['a static value', 'hello', 'hello'],
    ['a string literal', '="hello"', 'hello'],
    ['a string literal starting with =', '="=x"', '="=x"'],
    ['a number', '=20', 20],
    ['a negative number', '= -2.5', -2.5],
    [
      'a context with an embedded expression',
      '={a: 1, "b c": [true, null, x + 1]}',
      { a: 1, 'b c': [true, null, '=x + 1'] },
    ],
    ['an expression', '=a.b > 2', '=a.b > 2'],
    ['a concatenation', '="v" + string(n)', '="v" + string(n)'],
    ['an unparsable expression, kept for validation to report', '=a +', '=a +'],
  ])('reads %s', (_what, source, expected) => {
    expect(decodeFeel(source)).toEqual(expected);
  });

  it.each([
    ['text', 'say "hi"\n', '="say \\"hi\\"\\n"'],
    [
      'an object with awkward keys',
      { if: 1, 'a-b': '=x', ok: [1e21] },
      '={"if": 1, "a-b": x, ok: [1000000000000000000000]}',
    ],
  ])('writes %s as a FEEL literal that reads back the same', (_what, value, source) => {
    expect(encodeFeel(value, 'T')).toBe(source);
    expect(decodeFeel(source)).toEqual(value);
  });

  it('imports a plain Zeebe job without retries as Zeebe runs it: three attempts, output merged', async () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="D" targetNamespace="x">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="t"><bpmn:extensionElements><zeebe:taskDefinition type="exec.run" /></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t" /><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>`;
    const { definition, dialect } = await importBpmn(xml);
    expect(dialect).toBe('zeebe');
    expect(definition.machine.states.t).toMatchObject({
      invoke: { src: 'exec.run' },
      meta: { retry: { max: 3 }, mergeOutput: true },
    });
  });
});
