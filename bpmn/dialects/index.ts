// The dialects by name, and detection of a file's dialect from the namespaces it declares.
import type { Dialect } from '../dialect.js';
import { camunda7Dialect } from './camunda7.js';
import { gravityDialect } from './gravity.js';
import { zeebeDialect } from './zeebe.js';

/** Every dialect, by name. */
export const dialects: Record<string, Dialect> = { gravity: gravityDialect, camunda7: camunda7Dialect, zeebe: zeebeDialect };

/** The dialect a BPMN text is written in: Zeebe, gravity or Camunda 7 by their namespaces; Camunda 7 when none (plain BPMN). */
export function detectDialect(xml: string): string {
  const head = xml.slice(0, 4096);
  if (head.includes('http://camunda.org/schema/zeebe/1.0')) return 'zeebe';
  if (head.includes('https://gravity.kytes.dev/schema/bpmn/1.0')) return 'gravity';
  return 'camunda7';
}
