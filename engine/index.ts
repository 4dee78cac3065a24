// The engine's one public barrel: everything outside engine/ imports from here.
export * from './errors.js';
export * from './define-task.js';
export * from './definition.js';
export * from './builder.js';
export * from './expressions.js';
export * from './duration.js';
export * from './params.js';
export * from './validate.js';
export * from './compile.js';
export * from './journal.js';
export * from './runner.js';
export * from './resume.js';
export * from './rollback.js';
export * from './plan.js';
export { sleep } from './step.js';
export * from './process.js';
export * from './store/index.js';
