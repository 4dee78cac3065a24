// The catalog: every workflow the CLI can run by name.
import type { Definition } from '../engine/index.js';
import { closest } from '../engine/index.js';
import { girofleSync } from './galaxy/girofle-sync.js';
import { hostDoctor } from './host/doctor.js';

/** Every catalog workflow, by family. */
export const catalog: Definition[] = [hostDoctor, girofleSync];

/** The catalog workflow with this id, if any. */
export function findWorkflow(id: string): Definition | undefined {
  return catalog.find((d) => d.id === id);
}

/** Closest catalog ids to a mistyped one. */
export function suggestWorkflows(id: string): string[] {
  return closest(id, catalog.map((d) => d.id));
}
