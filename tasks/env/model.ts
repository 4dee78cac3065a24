// The environments family's shared model: the names (DNS labels), and what the generators (Vagrantfile, Bind zone,
// Apache virtual hosts, homepage) are given about one environment: its machines with their addresses, the sites they
// serve and the tools. Every generator reads this one shape, so the files they write agree with each other.
import { isIP } from 'node:net';
import { z } from 'zod';

/** A DNS label: lowercase letters, digits and dashes, not starting or ending with a dash, at most 63 characters. */
export const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** A name that becomes a DNS label, a folder and part of a machine name: a platform, an environment, a site. */
export const dnsLabel = (what: string) =>
  z
    .string()
    .regex(DNS_LABEL, `${what}: a DNS label (lowercase letters, digits and dashes, not at either end; at most 63)`)
    .describe(`The ${what} (a DNS label).`);

/** A domain: dot-separated DNS labels (e.g. example.test), at most 200 characters. */
export const domainName = z
  .string()
  .max(200)
  .refine(
    (d) => d.split('.').length >= 1 && d.split('.').every((l) => DNS_LABEL.test(l)),
    'a domain: DNS labels separated by dots (e.g. example.test)',
  );

/** An IPv4 address. */
export const ipv4 = z.string().refine((s) => isIP(s) === 4, 'an IPv4 address');

/** One machine of an environment: a site's or a service's (a database, a message broker...). */
export const machineModel = z.strictObject({
  name: dnsLabel('machine').describe('The machine: a DNS label, the first label of its host name.'),
  kind: z.enum(['site', 'service']).describe('site: serves one of the sites; service: something sites depend on.'),
  ip: ipv4.describe("The machine's address, from the platform's range."),
  /** The machine's state when the files were generated (vagrant status), e.g. running, stopped, not_created. */
  state: z.string().max(40).optional().describe('Its state at generation time (vagrant status): running, poweroff...'),
});

/** One site: `<site>.<env>.<platform>.<domain>`, proxied to a port of its machine. */
export const siteModel = z.strictObject({
  name: dnsLabel('site').describe('The site: a DNS label, the first label of its host name.'),
  machine: dnsLabel('machine').describe('The machine serving it.'),
  port: z.number().int().min(1).max(65535).default(80).describe('The port it listens on, on its machine.'),
  title: z.string().max(200).optional().describe('What the homepage calls it.'),
});

/** A tool of the environment (phpMyAdmin, RabbitMQ management...), listed on the homepage. */
export const toolModel = z.strictObject({
  name: z.string().min(1).max(100).describe('What the homepage calls it.'),
  machine: dnsLabel('machine').describe('The machine serving it.'),
  port: z.number().int().min(1).max(65535).describe('Its port on that machine.'),
  path: z
    .string()
    .regex(/^\/[A-Za-z0-9._~\/-]*$/, 'a URL path starting with /')
    .default('/')
    .describe('Its path.'),
});

/** What the generators are given about one environment. */
export const envModel = z
  .strictObject({
    platform: dnsLabel('platform').describe('The platform: a DNS label.'),
    env: dnsLabel('env').describe('The environment: a ticket id such as 1161.'),
    domain: domainName.describe('The platform domain: sites are <site>.<env>.<platform>.<domain>.'),
    machines: z.array(machineModel).max(256).describe('Its machines (each name once).'),
    sites: z.array(siteModel).max(256).describe('Its sites (each name once, on a machine of the list).'),
    tools: z
      .array(toolModel)
      .max(64)
      .default([])
      .describe('Its tools (on machines of the list), listed on the homepage.'),
  })
  .superRefine((m, ctx) => {
    const names = new Set<string>();
    for (const [i, mc] of m.machines.entries()) {
      if (names.has(mc.name))
        ctx.addIssue({ code: 'custom', path: ['machines', i, 'name'], message: `machine ${mc.name} twice` });
      names.add(mc.name);
    }
    const sites = new Set<string>();
    for (const [i, s] of m.sites.entries()) {
      if (sites.has(s.name))
        ctx.addIssue({ code: 'custom', path: ['sites', i, 'name'], message: `site ${s.name} twice` });
      sites.add(s.name);
      if (!names.has(s.machine))
        ctx.addIssue({
          code: 'custom',
          path: ['sites', i, 'machine'],
          message: `site ${s.name}: no machine ${s.machine}`,
        });
    }
    for (const [i, t] of m.tools.entries())
      if (!names.has(t.machine))
        ctx.addIssue({
          code: 'custom',
          path: ['tools', i, 'machine'],
          message: `tool ${t.name}: no machine ${t.machine}`,
        });
  });
export type EnvModel = z.output<typeof envModel>;

/** `<env>.<platform>.<domain>`: the environment's homepage, and the zone its sites are in. */
export const envHost = (m: Pick<EnvModel, 'env' | 'platform' | 'domain'>) => `${m.env}.${m.platform}.${m.domain}`;

/** `<site>.<env>.<platform>.<domain>`. */
export const siteHost = (m: Pick<EnvModel, 'env' | 'platform' | 'domain'>, site: string) => `${site}.${envHost(m)}`;

/** The machine a site or tool is on (the model's check makes it exist). */
export function machineOf(m: EnvModel, name: string) {
  const mc = m.machines.find((x) => x.name === name);
  if (!mc) throw new Error(`no machine ${name} in environment ${m.env}`);
  return mc;
}
