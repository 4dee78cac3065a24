// bpmn-moddle 10 ships no types for its main entry; this is the minimum tsc needs, typed for real in bpmn/moddle.ts.

declare module 'bpmn-moddle' {
  /** The moddle factory preloaded with the BPMN 2.0, DI and color packages, plus `packages` (by prefix). */
  export const BpmnModdle: new (packages?: Record<string, object>, options?: Record<string, unknown>) => unknown;
}
