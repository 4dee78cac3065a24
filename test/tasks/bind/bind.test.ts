// bind.zone, bind.include, bind.remove-zone and bind.reload with BIND's own tools: the zone of an environment against
// its golden file (test/fixtures/bind: regenerate with GRAVITY_UPDATE_GOLDEN=1 npx vitest run test/tasks/bind), the
// serial rule, the include file's foreign lines kept byte for byte, inputs refused by field, a file the tool refuses
// never installed; and a named of the test's own (127.0.0.1:5353) answering for the zones installed and reloaded.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskDefinition } from '../../../engine/index.js';
import { bindInclude, bindReload, bindRemoveZone, bindZone } from '../../../tasks/index.js';
import {
  dateSerial,
  findStanzas,
  nextSerial,
  readSerial,
  renderZone,
  setStanza,
  withSerial,
} from '../../../tasks/bind/support.js';
import { envModel } from '../../../tasks/env/model.js';
import { digUntil, startNamed, type TestNamed } from '../../support/named.js';
import { tempDir } from '../../support/git-fixtures.js';
import { compensate, contextFor, rejection } from '../context.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/bind');
/** Compares `text` with the golden file `name`; GRAVITY_UPDATE_GOLDEN=1 rewrites the golden file instead. */
function golden(name: string, text: string) {
  const file = join(FIXTURES, name);
  if (process.env.GRAVITY_UPDATE_GOLDEN) writeFileSync(file, text);
  expect(text).toBe(readFileSync(file, 'utf8'));
}

const MODEL = {
  platform: 'paas',
  env: '1161',
  domain: 'example.test',
  machines: [
    { name: 'web1', kind: 'site', ip: '10.42.0.11', state: 'running' },
    { name: 'web2', kind: 'site', ip: '10.42.0.12' },
    { name: 'db', kind: 'service', ip: '10.42.0.20' },
  ],
  sites: [
    { name: 'v5', machine: 'web1', port: 8081, title: 'Version 5' },
    { name: 'admin', machine: 'web2' },
    { name: 'api', machine: 'web1', port: 8082 },
  ],
};
const ZONE = '1161.paas.example.test';

/** Runs a bind task node with `input` (parsed by its schema) in a fresh root. */
async function run<I, O>(task: TaskDefinition<I, O>, input: object) {
  const { ctx, lines } = contextFor(task, input, { root: tempDir('gravity-bind-') });
  return { output: task.output.parse(await task.run(ctx)), lines };
}

const read = (f: string) => readFileSync(f, 'utf8');

describe('the zone of an environment', () => {
  it('is its golden file, and named-checkzone loads it', () => {
    const text = renderZone(envModel.parse(MODEL), {
      proxy: '192.0.2.80',
      nameserver: '192.0.2.53',
      ttl: 300,
      serial: 2026120500,
    });
    golden(`${ZONE}.zone`, text);
    const out = execFileSync('named-checkzone', ['-k', 'fail', ZONE, join(FIXTURES, `${ZONE}.zone`)], {
      encoding: 'utf8',
    });
    expect(out).toMatch(/loaded serial 2026120500\nOK/);
  });

  it('does not depend on the order of the sites and machines', () => {
    const m = envModel.parse(MODEL);
    const shuffled = { ...m, sites: [...m.sites].reverse(), machines: [...m.machines].reverse() };
    const o = { proxy: '192.0.2.80', ttl: 300, serial: 1 };
    expect(renderZone(shuffled, o)).toBe(renderZone(m, o));
  });
});

describe('the serial', () => {
  it('is YYYYMMDD00 of today for a new zone, one more when that is not above the current one, never lower', () => {
    const day = new Date('2026-12-05T23:59:00Z');
    expect(dateSerial(day)).toBe(2026120500);
    expect(nextSerial(null, day)).toBe(2026120500);
    expect(nextSerial(2026120400, day)).toBe(2026120500);
    expect(nextSerial(2026120500, day)).toBe(2026120501);
    // the clock gone back a year, a serial set in the future by hand: still one more
    expect(nextSerial(2026120507, new Date('2025-01-01T00:00:00Z'))).toBe(2026120508);
    expect(nextSerial(4000000000, day)).toBe(4000000001);
    expect(() => nextSerial(4294967295, day)).toThrow(/above 4294967295: the zone's serial must be wrapped by hand/);
  });

  it('is read from a zone written by hand, comments and parentheses on several lines', () => {
    const hand =
      '$TTL 1h\n@ IN SOA ns.x. root.x. ( ; the SOA\n  2031010203 ; serial\n  1h 10m 1w 5m )\n@ IN NS ns.x.\n';
    expect(readSerial(hand)).toBe(2031010203);
    expect(readSerial('@ IN NS ns.x.\n')).toBeNull();
    expect(withSerial('@ IN SOA ns hostmaster ( 7 1 2 3 4 )\n', 8)).toBe('@ IN SOA ns hostmaster ( 8 1 2 3 4 )\n');
  });

  it('increases with every change of the zone, stays when nothing changed, and passes a serial in the future', async () => {
    const dir = tempDir('gravity-zones-');
    const file = join(dir, `${ZONE}.zone`);
    const first = await run(bindZone, { model: MODEL, proxy: '192.0.2.80', zonesDir: dir });
    expect(first.output).toMatchObject({ zone: ZONE, file, changed: true, previous: null, previousSerial: null });
    expect(first.output.serial).toBeGreaterThanOrEqual(dateSerial(new Date()));
    expect(readSerial(read(file))).toBe(first.output.serial);

    const same = await run(bindZone, { model: MODEL, proxy: '192.0.2.80', zonesDir: dir });
    expect(same.output).toMatchObject({ changed: false, serial: first.output.serial });

    const more = { ...MODEL, sites: [...MODEL.sites, { name: 'shop', machine: 'web2', port: 8443 }] };
    const second = await run(bindZone, { model: more, proxy: '192.0.2.80', zonesDir: dir });
    expect(second.output).toMatchObject({ changed: true, previousSerial: first.output.serial });
    expect(second.output.serial).toBeGreaterThan(first.output.serial);
    expect(read(file)).toContain('shop            IN A    192.0.2.80');

    // a serial in the future (set by hand, or a clock that went back since): the next one is still above it
    writeFileSync(file, read(file).replace(String(second.output.serial), '2099123199'));
    const third = await run(bindZone, { model: MODEL, proxy: '192.0.2.80', zonesDir: dir });
    expect(third.output).toMatchObject({ changed: true, previousSerial: 2099123199, serial: 2099123200 });
  });

  it('refuses to replace a zone file it cannot read a serial from, leaving it as it is', async () => {
    const dir = tempDir('gravity-zones-');
    const file = join(dir, `${ZONE}.zone`);
    writeFileSync(file, '; not a zone\n');
    const e = await rejection(run(bindZone, { model: MODEL, proxy: '192.0.2.80', zonesDir: dir }));
    expect(e.message).toBe(
      `${file} has no SOA record gravity can read a serial from: the new serial could go back; fix or remove it`,
    );
    expect(read(file)).toBe('; not a zone\n');
  });
});

describe('bind.zone', () => {
  it("gives a machine named after the site it serves the site's record only (at the proxy)", () => {
    const model = {
      ...MODEL,
      machines: [{ name: 'v5', kind: 'site', ip: '10.42.0.11' }, MODEL.machines[2]],
      sites: [{ name: 'v5', machine: 'v5', port: 8080 }],
    };
    const i = bindZone.input.parse({ model, proxy: '192.0.2.80', zonesDir: '/tmp/z' });
    const text = renderZone(i.model, { proxy: '192.0.2.80', ttl: 300, serial: 1 });
    expect(text.split('\n').filter((l) => /^(v5|db)\s/.test(l))).toEqual([
      'v5              IN A    192.0.2.80',
      'db              IN A    10.42.0.20',
    ]);
  });

  it('refuses a broken input, naming the field', () => {
    const issue = (input: object) => {
      const r = bindZone.input.safeParse({ model: MODEL, proxy: '192.0.2.80', zonesDir: '/tmp/z', ...input });
      expect(r.success).toBe(false);
      return r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issue({ model: { ...MODEL, sites: [{ name: 'ns', machine: 'web1' }] } })).toEqual([
      "model.sites.0.name: site ns: the name server's name",
    ]);
    expect(
      issue({ model: { ...MODEL, machines: [...MODEL.machines, { name: 'api', kind: 'site', ip: '10.42.0.13' }] } }),
    ).toEqual([
      'model.machines.3.name: machine api: a site has this name (api.1161.paas.example.test would have two addresses)',
    ]);
    expect(
      issue({
        model: { ...MODEL, machines: [{ ...MODEL.machines[0], ip: '10.42.0.300' }, ...MODEL.machines.slice(1)] },
      }),
    ).toEqual(['model.machines.0.ip: an IPv4 address']);
    expect(issue({ model: { ...MODEL, env: 'Bad_Env' } })[0]).toMatch(/^model\.env: env: a DNS label/);
    expect(issue({ proxy: '192.0.2' })).toEqual(['proxy: an IPv4 address']);
    expect(issue({ zonesDir: '/etc/bind/"x' })[0]).toMatch(/^zonesDir: zonesDir: a path without quotes/);
  });

  it('installs nothing when named-checkzone refuses the zone, and quotes it and the file', async () => {
    // labels the model accepts, but a site name longer than the 255 bytes a DNS name may have
    const long = {
      ...MODEL,
      platform: 'p'.repeat(63),
      env: 'e'.repeat(63),
      domain: `${'d'.repeat(60)}.${'x'.repeat(34)}.test`,
    };
    const dir = tempDir('gravity-zones-');
    const first = await run(bindZone, { model: long, proxy: '192.0.2.80', zonesDir: dir });
    const before = read(first.output.file);
    const e = await rejection(
      run(bindZone, {
        model: { ...long, sites: [...long.sites, { name: 's'.repeat(63), machine: 'web1' }] },
        proxy: '192.0.2.80',
        zonesDir: dir,
      }),
    );
    expect(e.message).toContain(`named-checkzone refused the new ${first.output.file}`);
    expect(e.message).toContain(`nothing was installed, ${first.output.file} is as it was`);
    expect(e.message).toMatch(/named-checkzone says:\n(.|\n)*ran out of space/);
    expect(e.message).toContain(`| ${'s'.repeat(63)}`);
    expect(read(first.output.file)).toBe(before);
  });

  it('rolls back: the previous zone again, with a serial above the one the step gave; a new file removed', async () => {
    const dir = tempDir('gravity-zones-');
    const input = { model: MODEL, proxy: '192.0.2.80', zonesDir: dir };
    const first = await run(bindZone, input);
    const v1 = read(first.output.file);
    const changed = { ...input, proxy: '192.0.2.81' };
    const second = await run(bindZone, changed);
    await compensate(bindZone, dir, changed, second.output);
    const back = read(first.output.file);
    expect(readSerial(back)).toBe(second.output.serial + 1);
    expect(back).toBe(withSerial(v1, second.output.serial + 1));
    await compensate(bindZone, dir, input, first.output);
    // changed since the step (the rollback above rewrote it): left as it is
    expect(read(first.output.file)).toBe(back);
    await compensate(bindZone, dir, input, { ...first.output, serial: second.output.serial + 1 });
    expect(existsSync(first.output.file)).toBe(false);
  });
});

/** An include file as a host has it: comments, options of its own and a zone that is not gravity's. */
const FOREIGN = [
  '// zones of this host',
  'zone "legacy.example.test" {',
  '\ttype master;',
  '\tfile "/etc/bind/db.legacy";   # kept as it is',
  '};',
  '',
  '',
].join('\n');

describe('bind.include and bind.remove-zone', () => {
  it('add one stanza per environment after the foreign lines, kept byte for byte; removing one leaves the rest', async () => {
    const dir = tempDir('gravity-include-');
    const zones = join(dir, 'zones');
    const include = join(dir, 'named.conf.gravity');
    writeFileSync(include, FOREIGN);
    for (const env of ['1161', '1162'])
      await run(bindZone, { model: { ...MODEL, env }, proxy: '192.0.2.80', zonesDir: zones });
    const names = { platform: 'paas', domain: 'example.test', include, zonesDir: zones };
    const a = await run(bindInclude, { ...names, env: '1161' });
    expect(a.output).toMatchObject({ zone: ZONE, changed: true, existed: true, previous: null });
    await run(bindInclude, { ...names, env: '1162' });
    const stanza = (env: string) =>
      `// BEGIN gravity zone ${env}.paas.example.test\nzone "${env}.paas.example.test" { type master; file "${zones}/${env}.paas.example.test.zone"; };\n// END gravity zone ${env}.paas.example.test\n`;
    expect(read(include)).toBe(FOREIGN + stanza('1161') + stanza('1162'));
    golden('named.conf.gravity', read(include).replaceAll(zones, '/etc/bind/gravity'));

    const again = await run(bindInclude, { ...names, env: '1161' });
    expect(again.output.changed).toBe(false);
    expect(read(include)).toBe(FOREIGN + stanza('1161') + stanza('1162'));

    const zone1162 = read(join(zones, '1162.paas.example.test.zone'));
    const removed = await run(bindRemoveZone, { ...names, env: '1161' });
    expect(removed.output.previousStanza).toEqual(stanza('1161').trimEnd().split('\n'));
    expect(removed.output.previousZone).toContain('$ORIGIN 1161.paas.example.test.');
    expect(read(include)).toBe(FOREIGN + stanza('1162'));
    expect(existsSync(join(zones, `${ZONE}.zone`))).toBe(false);
    expect(read(join(zones, '1162.paas.example.test.zone'))).toBe(zone1162);

    const none = await run(bindRemoveZone, { ...names, env: '1161' });
    expect(none.output).toMatchObject({ previousStanza: null, previousZone: null });
    expect(read(include)).toBe(FOREIGN + stanza('1162'));

    // rollback of the removal: the zone file (a serial above) and the stanza, back where the rest is
    await compensate(bindRemoveZone, dir, { ...names, env: '1161' }, removed.output);
    expect(read(include)).toBe(FOREIGN + stanza('1162') + stanza('1161'));
    expect(readSerial(read(join(zones, `${ZONE}.zone`)))).toBe(readSerial(removed.output.previousZone!)! + 1);
    // rollback of the first add: the stanza out again, the others as they are
    await compensate(bindInclude, dir, { ...names, env: '1161' }, a.output);
    expect(read(include)).toBe(FOREIGN + stanza('1162'));
  });

  it('refuse a stanza whose zone file does not load, and an include named-checkconf refuses, installing nothing', async () => {
    const dir = tempDir('gravity-include-');
    const zones = join(dir, 'zones');
    const include = join(dir, 'named.conf.gravity');
    const names = { platform: 'paas', env: '1161', domain: 'example.test', include, zonesDir: zones };
    const missing = await rejection(run(bindInclude, names));
    expect(missing.message).toMatch(
      /^the zone file .*1161\.paas\.example\.test\.zone of 1161\.paas\.example\.test does not load \(write it with bind\.zone first\): nothing was installed\nnamed-checkzone says:\n/,
    );
    expect(existsSync(include)).toBe(false);

    await run(bindZone, { model: MODEL, proxy: '192.0.2.80', zonesDir: zones });
    const broken = `${FOREIGN}zone "typo.example.test" { type master file "/x"; };\n`;
    writeFileSync(include, broken);
    const e = await rejection(run(bindInclude, names));
    expect(e.message).toContain(`named-checkconf refused the new ${include}`);
    expect(e.message).toMatch(/named-checkconf says:\n.*named\.conf\.gravity:7: missing ';' before 'file'/);
    expect(read(include)).toBe(broken);
  });

  it("create the include file and its folder; refuse a zone the host names already outside gravity's stanzas", async () => {
    const dir = tempDir('gravity-include-');
    const zones = join(dir, 'zones');
    const include = join(dir, 'etc/bind/named.conf.gravity');
    const names = { platform: 'paas', env: '1161', domain: 'example.test', include, zonesDir: zones };
    await run(bindZone, { model: MODEL, proxy: '192.0.2.80', zonesDir: zones });
    const made = await run(bindInclude, names);
    expect(made.output).toMatchObject({ changed: true, existed: false });
    const ours = read(include);
    await compensate(bindInclude, dir, names, made.output);
    expect(existsSync(include)).toBe(false);

    const theirs = `zone "${ZONE}" { type master; file "/etc/bind/db.theirs"; };\n`;
    writeFileSync(include, theirs);
    const e = await rejection(run(bindInclude, names));
    expect(e.message).toMatch(/named-checkconf says:\n.*zone '1161\.paas\.example\.test': already exists/);
    expect(read(include)).toBe(theirs);
    expect(ours).toContain(`zone "${ZONE}"`);
  });

  it('refuse a broken stanza (a BEGIN without its END), changing nothing', async () => {
    const dir = tempDir('gravity-include-');
    const include = join(dir, 'inc.conf');
    const broken = `${FOREIGN}// BEGIN gravity zone 1162.paas.example.test\n`;
    writeFileSync(include, broken);
    expect(() => findStanzas(broken, include)).toThrow(/has no "\/\/ END gravity zone 1162.paas.example.test"/);
    const e = await rejection(
      run(bindRemoveZone, { platform: 'paas', env: '1161', domain: 'example.test', include, zonesDir: dir }),
    );
    expect(e.message).toMatch(/broken gravity stanza/);
    expect(read(include)).toBe(broken);
    expect(setStanza('a\nb', 'z', ['x'], include)).toBe('a\nb\nx\n');
  });
});

describe('bind.reload', () => {
  it('refuses to signal a pid file that names no named', async () => {
    const dir = tempDir('gravity-reload-');
    writeFileSync(join(dir, 'x.pid'), `${process.pid}\n`);
    const e = await rejection(run(bindReload, { pidFile: join(dir, 'x.pid') }));
    expect(e.message).toMatch(new RegExp(`^process ${process.pid} of .*x\\.pid is ".*", not named$`));
  });
});

describe('a named of the test (127.0.0.1:5353)', () => {
  let named: TestNamed;
  let dir: string;
  let include: string;
  let zones: string;
  beforeAll(async () => {
    dir = tempDir('gravity-named-', 'file');
    zones = join(dir, 'zones');
    include = join(dir, 'named.conf.gravity');
    mkdirSync(zones);
    writeFileSync(include, FOREIGN.replace(/zone "legacy[^]*?\n};\n/, ''));
    named = await startNamed(dir, include);
  });
  afterAll(async () => {
    await named?.stop();
  });

  it('answers for the zones installed, after a reload by signal and by rndc, and no more for one removed', async () => {
    const names = { platform: 'paas', domain: 'example.test', include, zonesDir: zones };
    await run(bindZone, { model: MODEL, proxy: '127.0.0.141', zonesDir: zones });
    await run(bindInclude, { ...names, env: '1161' });
    const signal = await run(bindReload, { pidFile: named.pidFile });
    expect(signal.output).toMatchObject({ method: 'signal', pid: named.pid });
    expect(await digUntil('v5.1161.paas.example.test', '127.0.0.141')).toBe('127.0.0.141');
    expect(await digUntil('1161.paas.example.test', '127.0.0.141')).toBe('127.0.0.141');
    expect(await digUntil('db.1161.paas.example.test', '10.42.0.20')).toBe('10.42.0.20');

    // a second environment, and a change of the first (its serial goes up): rndc reload
    await run(bindZone, { model: { ...MODEL, env: '1162' }, proxy: '127.0.0.142', zonesDir: zones });
    await run(bindInclude, { ...names, env: '1162' });
    const moved = await run(bindZone, { model: MODEL, proxy: '127.0.0.144', zonesDir: zones });
    const rndc = await run(bindReload, { rndc: { conf: named.rndcConf } });
    expect(rndc.output.method).toBe('rndc');
    expect(await digUntil('v5.1162.paas.example.test', '127.0.0.142')).toBe('127.0.0.142');
    expect(await digUntil('v5.1161.paas.example.test', '127.0.0.144')).toBe('127.0.0.144');
    expect((await digUntil(ZONE, (a) => a.split(' ')[2] === String(moved.output.serial), 'SOA')).split(' ')[2]).toBe(
      String(moved.output.serial),
    );

    const other = read(join(zones, '1162.paas.example.test.zone'));
    await run(bindRemoveZone, { ...names, env: '1161' });
    await run(bindReload, { pidFile: named.pidFile });
    expect(await digUntil('v5.1161.paas.example.test', '')).toBe('');
    expect(await digUntil('v5.1162.paas.example.test', '127.0.0.142')).toBe('127.0.0.142');
    expect(read(join(zones, '1162.paas.example.test.zone'))).toBe(other);
    expect(named.log()).not.toMatch(/\berror\b/i);
  });
});
