// bind.include: puts one environment's zone statement into the include file named.conf reads, between marker comments,
// every other line kept byte for byte; checked with named-checkconf (and its zone file with named-checkzone) before it
// is installed; rollback takes it out again (or puts back the stanza it replaced).
import { rm } from 'node:fs/promises';
import { z } from 'zod';
import { defineTask } from '../../engine/index.js';
import { absolute, install, readIfExists, withFileLease } from '../support/config-file.js';
import {
  checkInclude,
  checkZoneFile,
  getStanza,
  includeFields,
  setStanza,
  stanza,
  zoneFile,
  zoneName,
} from './support.js';

/** Adds (or replaces) an environment's zone statement in the include file. */
export const bindInclude = defineTask({
  id: 'bind.include',
  title: "Name an environment's zone to named",
  description:
    'Puts `zone "<env>.<platform>.<domain>" { type master; file "<zonesDir>/<zone>.zone"; };` into the file `include` (which named.conf includes) between `// BEGIN gravity zone <zone>` and `// END gravity zone <zone>`: a stanza of that zone is replaced where it is, else appended; every other line is kept byte for byte. The zone file must load (named-checkzone: write it with bind.zone first) and the new include file must pass named-checkconf before it is installed; a refusal installs nothing and quotes the tool and the file. The same stanza again changes nothing. Under a store lease per include file. Rollback puts the stanza back as it was (or takes it out), unless it changed since.',
  input: z.strictObject(includeFields),
  output: z.object({
    zone: z.string().describe('The zone name.'),
    include: z.string().describe('The include file (absolute).'),
    file: z.string().describe('The zone file its stanza names.'),
    changed: z.boolean().describe('Whether the include file changed.'),
    existed: z.boolean().describe('Whether the include file existed before the step.'),
    previous: z
      .array(z.string())
      .nullable()
      .describe("The zone's stanza before the step (markers included); null: none."),
  }),
  idempotent: true,
  plan: (i) => [
    `put the stanza of zone ${zoneName(i)} (file ${zoneFile(i.zonesDir, zoneName(i))}) into ${i.include}, checked with named-checkconf first:`,
    ...stanza(zoneName(i), zoneFile(i.zonesDir, zoneName(i))),
  ],
  async run(ctx) {
    const i = ctx.input;
    const zone = zoneName(i);
    const include = absolute(ctx.root, i.include);
    const file = zoneFile(absolute(ctx.root, i.zonesDir), zone);
    return withFileLease(ctx, include, async () => {
      const text = await readIfExists(include);
      const current = text ?? '';
      const previous = getStanza(current, zone, include);
      const next = setStanza(current, zone, stanza(zone, file), include);
      await checkZoneFile(ctx, zone, file);
      const out = { zone, include, file, existed: text !== null, previous };
      if (next === current && text !== null) {
        ctx.log.info(`${include} names the zone ${zone} already (unchanged)`);
        return { ...out, changed: false };
      }
      await checkInclude(ctx, include, next);
      await install(include, next);
      ctx.log.info(`${previous ? 'replaced' : 'added'} the stanza of zone ${zone} in ${include}`);
      return { ...out, changed: true };
    });
  },
  async compensate(ctx) {
    const o = ctx.output;
    if (!o.changed) return;
    await withFileLease(ctx, o.include, async () => {
      const current = (await readIfExists(o.include)) ?? '';
      const now = getStanza(current, o.zone, o.include);
      if (JSON.stringify(now) !== JSON.stringify(stanza(o.zone, o.file))) {
        ctx.log.warn(`the stanza of zone ${o.zone} in ${o.include} changed since this step: left as it is`);
        return;
      }
      const back = setStanza(current, o.zone, o.previous, o.include);
      if (back === '' && !o.existed) await rm(o.include, { force: true });
      else await install(o.include, back);
      ctx.log.info(`${o.previous ? 'put back' : 'took out'} the stanza of zone ${o.zone} in ${o.include}`);
    });
  },
});
