// An environment of the env.* generators' tests: two site machines and a service machine, sites with and without a
// title, tools, and texts that must be escaped wherever they land (quotes, ampersands, angle brackets); and the golden
// files the generators' output is compared with.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { z } from 'zod';
import type { envModel } from '../../tasks/env/model.js';

/** The environment 1161 of the platform acme, under dev.example.test, as a workflow would give it. */
export const ENV_MODEL: z.input<typeof envModel> = {
  platform: 'acme',
  env: '1161',
  domain: 'dev.example.test',
  machines: [
    { name: 'web', kind: 'site', ip: '10.61.0.10', state: 'running' },
    { name: 'shop', kind: 'site', ip: '10.61.0.11', state: 'poweroff' },
    { name: 'db', kind: 'service', ip: '10.61.0.20' },
  ],
  sites: [
    { name: 'www', machine: 'web', title: 'The "main" site <& co>' },
    { name: 'blog', machine: 'web', port: 8080 },
    { name: 'shop', machine: 'shop', title: "Bob's shop" },
  ],
  tools: [
    { name: 'phpMyAdmin', machine: 'db', port: 8081, path: '/pma/' },
    { name: 'RabbitMQ <management>', machine: 'db', port: 15672 },
  ],
};

/** test/fixtures/env: the golden files. */
export const ENV_FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/env');

/**
 * Compares `content` with the golden file `name` of test/fixtures/env/. With UPDATE_GOLDEN=1 in the environment it
 * writes the file first (`UPDATE_GOLDEN=1 npx vitest run test/tasks/env`, then read the diff before committing it).
 */
export function golden(name: string, content: string): void {
  const file = join(ENV_FIXTURES, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(ENV_FIXTURES, { recursive: true });
    writeFileSync(file, content);
  }
  expect(content, `${name} differs from test/fixtures/env/${name} (UPDATE_GOLDEN=1 rewrites it)`).toBe(
    readFileSync(file, 'utf8'),
  );
}
