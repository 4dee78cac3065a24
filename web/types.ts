// The shapes of gravity serve's answers the web view reads (server/routes/*.ts, server/inventory.ts).

export interface SerializedError {
  name: string;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export interface Waiting {
  step: string;
  kind: 'approval' | 'message';
  message: string;
  since?: string;
  until?: string;
  key?: string;
  child?: string;
}

export interface RunRecord {
  id: string;
  workflow: string;
  title?: string;
  status: string;
  params?: Record<string, unknown>;
  parent?: string;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  output?: unknown;
  error?: SerializedError & { step?: string };
  attention?: { message: string; steps: string[] };
  waiting?: Waiting[];
  startedBy?: string;
}

export interface RunSummary {
  runId: string;
  workflow: string;
  title?: string;
  status: string;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  durationMs: number;
  startedBy?: string;
  parent?: string;
  waiting?: Waiting[];
}

export interface StepSummary {
  id: string;
  task: string;
  status: string;
  attempts: number;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  input?: unknown;
  output?: unknown;
  error?: SerializedError;
  child?: string;
}

export interface RunDetail {
  run: RunRecord;
  steps: StepSummary[];
  children: RunSummary[];
}

export interface JournalEntry {
  type: string;
  at: string;
  step?: string;
  task?: string;
  attempt?: number;
  input?: unknown;
  output?: unknown;
  error?: SerializedError;
  child?: string;
  message?: string;
}

export interface ParamSpec {
  type: string;
  description?: string;
  default?: unknown;
  required?: boolean;
  enum?: unknown[];
  pattern?: string;
  path?: boolean;
}

export interface WorkflowSummary {
  id: string;
  title?: string;
  description?: string;
  params: Record<string, ParamSpec>;
}

export interface Platform {
  name: string;
  domain: string;
  ipRange: string;
  projects: Array<{ name: string; repo: string; branch?: string }>;
  environments: string[];
}

export interface PlatformsResponse {
  home: string;
  platforms: Platform[];
  unreadable: Array<{ name: string; problem: string }>;
}

export interface Environment {
  env: string;
  url: string;
  sites: Array<{ name: string; url: string }>;
  machines: Array<{ name: string; ip: string; state?: string }>;
  dns: boolean;
  apache: boolean;
  problem?: string;
}

export interface EnvironmentsResponse {
  platform: string;
  domain: string;
  environments: Environment[];
  machines: { asked: boolean; readAt?: string };
}
