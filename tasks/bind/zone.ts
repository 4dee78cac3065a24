// bind.zone: writes the zone of one environment (<env>.<platform>.<domain>) from the shared model into its own file,
// checked by named-checkzone before it replaces anything, with a serial above the one it replaces; rollback puts the
// previous file back.
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { absolute, confPath, install, readIfExists, restoreFile, withFileLease } from '../support/config-file.js';
import {
  checkZone,
  checkZoneNames,
  nextSerial,
  readSerial,
  renderZone,
  withSerial,
  zoneFields,
  zoneFile,
  zoneName,
} from './support.js';

const input = z
  .strictObject({
    ...zoneFields,
    zonesDir: confPath('zonesDir').describe(
      "The folder of the zone files (e.g. /etc/bind/gravity): this environment's is <zonesDir>/<env>.<platform>.<domain>.zone.",
    ),
  })
  .superRefine((i, ctx) => checkZoneNames(i.model, ctx));

/** Writes one environment's zone file. */
export const bindZone = defineTask({
  id: 'bind.zone',
  title: "Write an environment's zone",
  description:
    "Writes the zone <env>.<platform>.<domain> of the environment `model` to <zonesDir>/<zone>.zone: SOA and NS (ns.<zone> at `nameserver`), the apex (the homepage) and every site at `proxy` (Apache, which proxies each site by name to its machine), every machine at its own address. A site and a machine of the same name, or either named ns, are refused. The serial is YYYYMMDD00 of today, or one more than the current file's when that is not above it: it increases on every change and never goes back, even when the clock does. The file is checked with named-checkzone before it replaces anything (a refusal installs nothing and quotes the tool and the file); the same model again changes nothing (the serial stays). Rollback puts the previous zone back with a serial above the step's (or removes the new file), unless the file changed since.",
  input,
  output: z.object({
    zone: z.string().describe('The zone name.'),
    file: z.string().describe('The zone file (absolute).'),
    serial: z.number().int().describe('The serial of the zone as the step leaves it.'),
    previousSerial: z.number().int().nullable().describe('The serial of the file before (null: there was none).'),
    changed: z.boolean().describe('Whether the file changed (false: it held this zone already).'),
    previous: z.string().nullable().describe('The text of the file before the step; null when there was none.'),
  }),
  idempotent: true,
  plan: (i) => [
    `write the zone ${zoneName(i.model)} (apex and ${i.model.sites.length} site(s) at ${i.proxy}, ${i.model.machines.length} machine(s) at their addresses) to ${zoneFile(i.zonesDir, zoneName(i.model))}, checked with named-checkzone first, with a serial above the current one`,
  ],
  async run(ctx) {
    const i = ctx.input;
    const zone = zoneName(i.model);
    const file = zoneFile(absolute(ctx.root, i.zonesDir), zone);
    return withFileLease(ctx, file, async () => {
      const previous = await readIfExists(file);
      const previousSerial = previous === null ? null : readSerial(previous);
      if (previous !== null && previousSerial === null)
        throw new TaskError(
          `${file} has no SOA record gravity can read a serial from: the new serial could go back; fix or remove it`,
          { file },
        );
      const render = (serial: number) => renderZone(i.model, { ...i, serial });
      if (previous !== null && previousSerial !== null && render(previousSerial) === previous) {
        ctx.log.info(`${file} holds the zone ${zone} already (serial ${previousSerial}, unchanged)`);
        return { zone, file, serial: previousSerial, previousSerial, changed: false, previous };
      }
      const serial = nextSerial(previousSerial, new Date());
      const content = render(serial);
      await checkZone(ctx, file, zone, content);
      await install(file, content);
      ctx.log.info(
        `${previous === null ? 'wrote' : 'replaced'} the zone ${zone} in ${file} (serial ${previousSerial ?? 'none'} -> ${serial})`,
      );
      return { zone, file, serial, previousSerial, changed: true, previous };
    });
  },
  async compensate(ctx) {
    const o = ctx.output;
    if (!o.changed) return;
    await withFileLease(ctx, o.file, async () => {
      // the previous zone comes back with a serial above the one the step gave (a serial never goes back, or named and
      // its secondaries would keep the step's version)
      const back = o.previous === null ? null : withSerial(o.previous, nextSerial(o.serial, new Date()));
      const written = renderZone(ctx.input.model, { ...ctx.input, serial: o.serial });
      await restoreFile(ctx, o.file, written, o.previous === null ? null : (back ?? o.previous));
    });
  },
});
