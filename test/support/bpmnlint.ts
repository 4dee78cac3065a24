// Lints BPMN XML as Camunda Modeler does: bpmnlint's recommended rules plus bpmnlint-plugin-camunda-compat for the
// engine a dialect targets, on a moddle that knows the dialect's extensions (so zeebe:taskDefinition is seen).
import { createRequire } from 'node:module';
import { dialectNamed, type DialectName } from '../../bpmn/index.js';
import { createModdle } from '../../bpmn/moddle.js';

const require = createRequire(import.meta.url);
const { Linter } = require('bpmnlint') as {
  Linter: new (o: { config: unknown; resolver: unknown }) => {
    lint(root: unknown): Promise<Record<string, { id?: string; message: string; category: string }[]>>;
  };
};
const NodeResolver = require('bpmnlint/lib/resolver/node-resolver') as new (o: { require: NodeRequire }) => unknown;

/** The camunda-compat configuration each dialect is checked against: the engine version its exports target. */
export const COMPAT: Record<DialectName, string> = {
  gravity: 'camunda-platform-7-24',
  camunda7: 'camunda-platform-7-24',
  zeebe: 'camunda-cloud-8-8',
};

/** One problem bpmnlint reported. */
export interface LintProblem {
  rule: string;
  id: string;
  message: string;
  category: string;
}

/** Every problem bpmnlint finds in `xml` read in `dialect`, info included, sorted by rule then element id. */
export async function lintBpmn(xml: string, dialect: DialectName): Promise<LintProblem[]> {
  const { rootElement } = await createModdle(dialectNamed(dialect).packages).fromXML(xml);
  const linter = new Linter({
    config: { extends: ['bpmnlint:recommended', `plugin:camunda-compat/${COMPAT[dialect]}`] },
    resolver: new NodeResolver({ require }),
  });
  const results = await linter.lint(rootElement);
  return Object.entries(results)
    .flatMap(([rule, reports]) =>
      reports.map((r) => ({ rule, id: r.id ?? '', message: r.message, category: r.category })),
    )
    .sort((a, b) => a.rule.localeCompare(b.rule) || a.id.localeCompare(b.id));
}
