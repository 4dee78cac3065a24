// Inputs nested thousands of levels deep, for the nesting limits: built as text, as a file would hold them
// (JSON.stringify itself overflows the stack on a definition nested 10,000 levels deep).

/**
 * A definition (JSON text) whose states nest `depth` levels: compounds g1 > g2 > ... > g<depth-1>, each ending in `end`,
 * and at level `depth` a `test.noop` task `s` and its end. `task` names another task id.
 */
export function nestedDefinitionJson(depth: number, task = 'test.noop'): string {
  const open: string[] = [];
  const close: string[] = [];
  for (let i = 1; i < depth; i++) {
    open.push(`{"onDone":"end","initial":"g${i + 1}","states":{"g${i + 1}":`);
    close.push(`,"end":{"type":"final"}}}`);
  }
  const leaf = `{"onDone":"end","initial":"s","states":{"s":{"invoke":{"src":"${task}","input":{"message":"deep"}},"onDone":"end"},"end":{"type":"final"}}}`;
  const body = `${open.join('')}${leaf}${close.join('')}`;
  return `{"id":"test:deep","machine":{"initial":"g1","states":{"g1":${body},"end":{"type":"final"}}}}`;
}

/** A plain BPMN process of sub-processes nested `depth` levels (sp1 .. sp<depth-1>, a task `t` at level `depth`). */
export function nestedSubProcessesXml(depth: number): string {
  const open: string[] = [];
  const close: string[] = [];
  for (let i = 1; i < depth; i++) {
    open.push(`<startEvent id="st${i}"/><subProcess id="sp${i}">`);
    close.unshift(
      `</subProcess><endEvent id="en${i}"/><sequenceFlow id="fa${i}" sourceRef="st${i}" targetRef="sp${i}"/><sequenceFlow id="fb${i}" sourceRef="sp${i}" targetRef="en${i}"/>`,
    );
  }
  const leaf = `<startEvent id="st${depth}"/><task id="t"/><endEvent id="en${depth}"/><sequenceFlow id="fa${depth}" sourceRef="st${depth}" targetRef="t"/><sequenceFlow id="fb${depth}" sourceRef="t" targetRef="en${depth}"/>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x"><process id="deep" isExecutable="true">${open.join('')}${leaf}${close.join('')}</process></definitions>\n`;
}
