// platform:up / platform:halt / platform:destroy / platform:status — env:up|halt|destroy|status over every environment
// of the platform: the same definitions (workflows/env/manage.ts), without `envs`.
import { manage } from '../env/manage.js';

export const platformUp = manage('platform', 'up');
export const platformHalt = manage('platform', 'halt');
export const platformDestroy = manage('platform', 'destroy');
export const platformStatusWorkflow = manage('platform', 'status');
