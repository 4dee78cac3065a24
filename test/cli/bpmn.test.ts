// End to end: gravity export / import / validate / run on BPMN files, through the real binary.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sandbox } from '../support/cli.js';
import { catalog } from '../../workflows/index.js';

const untyped = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:gravity="https://gravity.kytes.dev/schema/bpmn/1.0" id="D" targetNamespace="t">
  <bpmn:process id="Sum" isExecutable="true">
    <bpmn:startEvent id="S"/>
    <bpmn:serviceTask id="Say"><bpmn:extensionElements><gravity:task type="log.info"><gravity:input name="message">"=name + \\" counted \\" + string(count)"</gravity:input></gravity:task></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:endEvent id="E"><bpmn:extensionElements><gravity:result>{"next": "=count + 1", "flag": "=ok", "name": "=name"}</gravity:result></bpmn:extensionElements></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="S" targetRef="Say"/>
    <bpmn:sequenceFlow id="f2" sourceRef="Say" targetRef="E"/>
  </bpmn:process>
</bpmn:definitions>`;

const scripted = untyped
  .replace(
    '<bpmn:serviceTask id="Say">',
    '<bpmn:scriptTask id="Script"><bpmn:script>rm -rf /</bpmn:script></bpmn:scriptTask><bpmn:serviceTask id="Say">',
  )
  .replace(
    'sourceRef="S" targetRef="Say"',
    'sourceRef="S" targetRef="Script"/><bpmn:sequenceFlow id="f0" sourceRef="Script" targetRef="Say"',
  );

describe('gravity BPMN commands', () => {
  it('exports a workflow to stdout and to a file, and the whole catalog to a folder', async () => {
    const sb = sandbox();
    const out = await sb.run('export', 'host:doctor');
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^<\?xml/);
    expect(out.stdout).toMatch(
      /<bpmn:process id="host_doctor" name="Check the host tools gravity workflows need" isExecutable="true">/,
    );
    const file = join(sb.base, 'doctor.bpmn');
    expect((await sb.run('export', 'host:doctor', '-o', file)).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(out.stdout);
    const all = await sb.run('export', '--all', '-o', join(sb.base, 'all'));
    expect(all.code, all.stderr).toBe(0);
    expect(readdirSync(join(sb.base, 'all')).sort()).toEqual(
      catalog.map((d) => `${d.id.replace(/:/g, '-')}.bpmn`).sort(),
    );
  });

  it('rejects an unknown dialect with exit 2', async () => {
    const r = await sandbox().run('export', 'host:doctor', '--dialect', 'jbpm');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/jbpm/);
  });

  it('runs an exported BPMN file like the workflow itself', async () => {
    const sb = sandbox();
    const file = join(sb.base, 'doctor.bpmn');
    await sb.run('export', 'host:doctor', '-o', file);
    const r = await sb.run('run', file, '--json');
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res).toMatchObject({ workflow: 'host:doctor', status: 'succeeded' });
    expect(res.output.tools).toHaveLength(10);
  });

  it('types --param values like JSON for a BPMN process without declared params', async () => {
    const sb = sandbox();
    const file = join(sb.base, 'sum.bpmn');
    writeFileSync(file, untyped);
    const r = await sb.run('run', file, '--param', 'count=20', '--param', 'ok=true', '--param', 'name=ann', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).output).toEqual({ next: 21, flag: true, name: 'ann' });
  });

  it('imports a BPMN file into a definition that runs as JSON', async () => {
    const sb = sandbox();
    const bpmnFile = join(sb.base, 'sum.bpmn');
    writeFileSync(bpmnFile, untyped);
    const jsonFile = join(sb.base, 'sum.json');
    const imp = await sb.run('import', bpmnFile, '--as', 'demo:sum', '-o', jsonFile);
    expect(imp.code, imp.stderr).toBe(0);
    const def = JSON.parse(readFileSync(jsonFile, 'utf8'));
    expect(def).toMatchObject({
      id: 'demo:sum',
      machine: { initial: 'Say', states: { Say: { invoke: { src: 'log.info' } }, E: { type: 'final' } } },
    });
    const r = await sb.run('run', jsonFile, '-p', 'count=1', '-p', 'ok=false', '-p', 'name=x', '--json');
    expect(JSON.parse(r.stdout)).toMatchObject({ workflow: 'demo:sum', status: 'succeeded', output: { next: 2 } });
  });

  it('validates strictly: each problem with element id, type and line, exit 2', async () => {
    const sb = sandbox();
    const good = join(sb.base, 'good.bpmn');
    writeFileSync(good, untyped);
    expect((await sb.run('validate', good)).code).toBe(0);
    const bad = join(sb.base, 'bad.bpmn');
    writeFileSync(bad, scripted.replace('type="log.info"', 'type="log.infoo"'));
    const r = await sb.run('validate', bad);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/bad\.bpmn:5: <Script> \(bpmn:ScriptTask\) gravity runs service tasks only/);
    const mapped = await sb.run('validate', bad, '--map', 'Script=log.info', '--json');
    const problems = JSON.parse(mapped.stdout).problems;
    // the mapped script task gets no input: log.info would refuse it when it runs, so validate says so now
    expect(problems).toEqual([
      expect.objectContaining({
        element: 'Script',
        message: 'input of log.info is invalid: message: Invalid input: expected string, received undefined',
      }),
      expect.objectContaining({
        element: 'Say',
        message: expect.stringMatching(/unknown task "log\.infoo"; did you mean "log\.info"/),
      }),
    ]);
  });

  it('validates an exclusive split into a parallel join as a problem of the join, with its id and line, exit 2', async () => {
    // given a file whose exclusive gateway feeds a parallel join (a deadlock in BPMN)
    const sb = sandbox();
    const file = join(sb.base, 'xor-join.bpmn');
    const xml = readFileSync(
      join(import.meta.dirname, '../fixtures/bpmn/unstructured/exclusive-split-parallel-join.bpmn'),
      'utf8',
    );
    writeFileSync(file, xml);
    const line = xml.split('\n').findIndex((l) => l.includes('id="BothLanes"')) + 1;
    // when gravity validates it, as text and as JSON
    const r = await sb.run('validate', file);
    const json = await sb.run('validate', file, '--json');
    // then the join is the one problem, by element id and line
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toContain(
      `xor-join.bpmn:${line}: <BothLanes> (bpmn:ParallelGateway) unstructured parallel join: no parallel split of the same level opens the branches it joins`,
    );
    expect(r.stdout).toMatch(/✖ 1 problem\(s\)/);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({
      valid: false,
      problems: [{ element: 'BothLanes', type: 'bpmn:ParallelGateway', line }],
    });
  });

  it('refuses XML that is not well-formed in validate, import and run, naming line and column, exit 2', async () => {
    // given a file whose start event repeats an attribute (bpmn-moddle alone imported it with a warning and exit 0)
    const sb = sandbox();
    const file = join(sb.base, 'broken.bpmn');
    writeFileSync(file, untyped.replace('<bpmn:startEvent id="S"/>', '<bpmn:startEvent id="S" id="T"/>'));
    // when each command reads it
    for (const command of [
      ['validate', file],
      ['import', file],
      ['run', file],
    ]) {
      const r = await sb.run(...command);
      // then it is refused with the place of the error
      expect(r.code, `${command[0]}: ${r.stdout}${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(`${file}:4:29: not well-formed XML: Attribute 'id' is repeated.`);
    }
  });

  it.each([
    ['a non-XML file', Buffer.from([0, 1, 2, 3, 255, 254]), /is not a BPMN file/],
    [
      'an entity bomb',
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol;</bpmn:definitions>',
      /DOCTYPE declarations are not allowed/,
    ],
  ])('refuses %s with exit 2', async (_what, content, message) => {
    const sb = sandbox();
    const f = join(sb.base, 'x.bpmn');
    writeFileSync(f, content);
    const r = await sb.run('run', f);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
