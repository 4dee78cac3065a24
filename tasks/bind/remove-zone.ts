// bind.remove-zone: takes one environment's zone statement out of the include file (every other line kept byte for
// byte, the rest checked with named-checkconf before it is installed) and removes its zone file; rollback puts both
// back, the zone with a serial above the one it had.
import { rm } from 'node:fs/promises';
import { z } from 'zod';
import { defineTask } from '../../engine/index.js';
import { absolute, install, readIfExists, withFileLease } from '../support/config-file.js';
import {
  checkInclude,
  getStanza,
  includeFields,
  nextSerial,
  readSerial,
  setStanza,
  withSerial,
  zoneFile,
  zoneName,
} from './support.js';

/** Removes an environment's zone statement and zone file. */
export const bindRemoveZone = defineTask({
  id: 'bind.remove-zone',
  title: "Remove an environment's zone",
  description:
    "Takes the stanza of zone <env>.<platform>.<domain> (between its // BEGIN and // END gravity zone markers) out of the file `include`, every other line kept byte for byte, checked with named-checkconf before it is installed; then removes <zonesDir>/<zone>.zone. Other environments' stanzas and zone files are not touched. No stanza and no file: nothing changes. Rollback puts the zone file back (with a serial above the one it had) and then its stanza.",
  input: z.strictObject(includeFields),
  output: z.object({
    zone: z.string().describe('The zone name.'),
    include: z.string().describe('The include file (absolute).'),
    file: z.string().describe('The zone file (absolute).'),
    previousStanza: z.array(z.string()).nullable().describe('The stanza taken out (markers included); null: none.'),
    previousZone: z.string().nullable().describe('The text of the zone file removed; null: there was none.'),
  }),
  idempotent: true,
  plan: (i) => [
    `take the stanza of zone ${zoneName(i)} out of ${i.include} (checked with named-checkconf first), then remove ${zoneFile(i.zonesDir, zoneName(i))}`,
  ],
  async run(ctx) {
    const i = ctx.input;
    const zone = zoneName(i);
    const include = absolute(ctx.root, i.include);
    const file = zoneFile(absolute(ctx.root, i.zonesDir), zone);
    const previousStanza = await withFileLease(ctx, include, async () => {
      const text = await readIfExists(include);
      if (text === null) return null;
      const previous = getStanza(text, zone, include);
      if (previous) {
        const next = setStanza(text, zone, null, include);
        await checkInclude(ctx, include, next);
        await install(include, next);
        ctx.log.info(`took the stanza of zone ${zone} out of ${include}`);
      }
      return previous;
    });
    const previousZone = await withFileLease(ctx, file, async () => {
      const text = await readIfExists(file);
      if (text !== null) {
        await rm(file, { force: true });
        ctx.log.info(`removed ${file}`);
      }
      return text;
    });
    if (!previousStanza && previousZone === null) ctx.log.info(`no zone ${zone} in ${include} nor ${file} (unchanged)`);
    return { zone, include, file, previousStanza, previousZone };
  },
  async compensate(ctx) {
    const o = ctx.output;
    if (o.previousZone !== null)
      await withFileLease(ctx, o.file, async () => {
        if ((await readIfExists(o.file)) !== null) {
          ctx.log.warn(`${o.file} exists again: left as it is`);
          return;
        }
        const serial = readSerial(o.previousZone!);
        const back = serial === null ? null : withSerial(o.previousZone!, nextSerial(serial, new Date()));
        await install(o.file, back ?? o.previousZone!);
        ctx.log.info(`put back ${o.file}`);
      });
    if (o.previousStanza)
      await withFileLease(ctx, o.include, async () => {
        const current = (await readIfExists(o.include)) ?? '';
        if (getStanza(current, o.zone, o.include)) {
          ctx.log.warn(`${o.include} has a stanza of zone ${o.zone} again: left as it is`);
          return;
        }
        await install(o.include, setStanza(current, o.zone, o.previousStanza, o.include));
        ctx.log.info(`put back the stanza of zone ${o.zone} in ${o.include}`);
      });
  },
});
