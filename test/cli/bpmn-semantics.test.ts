// End to end: Camunda 7 semantics of boundary events when a BPMN file runs here (error paths, interrupting timers).
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from '../../engine/index.js';
import { sandbox } from '../support/cli.js';

const process7 = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="D" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="ops_guarded" isExecutable="true">
    <bpmn:startEvent id="Start"/>
    ${body}
  </bpmn:process>
</bpmn:definitions>`;

/** `text` as XML character data (a shell line holds `&`, `<`, `>`). */
const xmlText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** An external task running a shell line (argument list, no shell string from gravity's side). */
const shTask = (
  id: string,
  line: string,
) => `<bpmn:serviceTask id="${id}" camunda:type="external" camunda:topic="exec.run">
      <bpmn:extensionElements><camunda:inputOutput>
        <camunda:inputParameter name="command">sh</camunda:inputParameter>
        <camunda:inputParameter name="args"><camunda:list><camunda:value>-c</camunda:value><camunda:value>${xmlText(line)}</camunda:value><camunda:value>step</camunda:value><camunda:value>\${marks}</camunda:value></camunda:list></camunda:inputParameter>
      </camunda:inputOutput></bpmn:extensionElements>
    </bpmn:serviceTask>`;
const flow = (id: string, s: string, t: string) => `<bpmn:sequenceFlow id="${id}" sourceRef="${s}" targetRef="${t}"/>`;

describe('running Camunda 7 BPMN files', () => {
  it('takes the error boundary path (no errorRef) when the task fails', async () => {
    const sb = sandbox();
    const marks = join(sb.base, 'marks.txt');
    const file = join(sb.base, 'guarded.bpmn');
    writeFileSync(
      file,
      process7(`${shTask('Deploy', 'echo deploy >> "$1"; exit 3')}
      <bpmn:boundaryEvent id="DeployFailed" attachedToRef="Deploy"><bpmn:errorEventDefinition/></bpmn:boundaryEvent>
      ${shTask('Rollback', 'echo rollback >> "$1"')}
      ${shTask('Announce', 'echo announce >> "$1"')}
      <bpmn:endEvent id="End"/>
      ${flow('f1', 'Start', 'Deploy')}${flow('f2', 'Deploy', 'Announce')}${flow('f3', 'DeployFailed', 'Rollback')}${flow('f4', 'Rollback', 'End')}${flow('f5', 'Announce', 'End')}`),
    );
    const r = await sb.run('run', file, '--param', `marks=${marks}`, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(marks, 'utf8').split('\n').filter(Boolean)).toEqual(['deploy', 'rollback']);
    expect(JSON.parse(r.stdout).steps.map((s: { id: string; status: string }) => `${s.id}:${s.status}`)).toEqual([
      'Deploy:failed',
      'Rollback:succeeded',
    ]);
  });

  it('cancels the task and kills its process group when an interrupting timer boundary fires', async () => {
    const sb = sandbox();
    const marks = join(sb.base, 'marks.txt');
    const pidFile = join(sb.base, 'pid');
    const file = join(sb.base, 'timed.bpmn');
    writeFileSync(
      file,
      process7(`${shTask('Wait', `sleep 30 & echo $! > ${pidFile}; wait; echo waited >> "$1"`)}
      <bpmn:boundaryEvent id="TooLong" attachedToRef="Wait"><bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT0.5S</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
      ${shTask('GiveUp', 'echo gave-up >> "$1"')}
      <bpmn:endEvent id="End"/>
      ${flow('f1', 'Start', 'Wait')}${flow('f2', 'Wait', 'End')}${flow('f3', 'TooLong', 'GiveUp')}${flow('f4', 'GiveUp', 'End')}`),
    );
    const r = await sb.run('run', file, '--param', `marks=${marks}`, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(marks, 'utf8').split('\n').filter(Boolean)).toEqual(['gave-up']);
    const sleeper = Number(readFileSync(pidFile, 'utf8'));
    await new Promise((res) => setTimeout(res, 300));
    expect(isAlive(sleeper)).toBe(false);
    expect(existsSync(marks)).toBe(true);
  });
});
