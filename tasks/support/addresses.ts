// Address pools: which IPv4 addresses a list, a range or a CIDR names (GitLab instances' pools, platforms' ranges).
import { BadInputError } from '../../engine/index.js';

/**
 * The addresses of a pool: a list (`10.0.0.5,10.0.0.6`), a range (`127.0.0.11-127.0.0.19`), a CIDR (`10.0.0.0/29`, its
 * network and broadcast addresses left out), or a mix separated by commas. At most 4096 addresses. `what` names the
 * param in errors.
 */
export function poolAddresses(pool: string, what = 'pool'): string[] {
  const out: string[] = [];
  const toInt = (ip: string) => {
    const parts = ip.split('.').map(Number);
    if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
      throw new BadInputError(`${what}: "${ip}" is not an IPv4 address`);
    return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
  };
  const toIp = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  const add = (from: number, to: number) => {
    if (to < from) throw new BadInputError(`${what}: range ${toIp(from)}-${toIp(to)} goes backwards`);
    if (to - from + out.length >= 4096) throw new BadInputError(`${what}: more than 4096 addresses`);
    for (let n = from; n <= to; n++) out.push(toIp(n));
  };
  for (const part of pool
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const cidr = /^([\d.]+)\/(\d{1,2})$/.exec(part);
    const range = /^([\d.]+)-([\d.]+)$/.exec(part);
    if (cidr) {
      const bits = Number(cidr[2]);
      if (bits < 20 || bits > 32) throw new BadInputError(`${what}: /${bits} is not between /20 and /32`);
      const base = toInt(cidr[1]) & (bits === 32 ? 0xffffffff : ~((1 << (32 - bits)) - 1));
      const size = 2 ** (32 - bits);
      if (size <= 2) add(base >>> 0, (base >>> 0) + size - 1);
      else add((base >>> 0) + 1, (base >>> 0) + size - 2);
    } else if (range) add(toInt(range[1]), toInt(range[2]));
    else add(toInt(part), toInt(part));
  }
  if (!out.length) throw new BadInputError(`${what}: no address given`);
  return out;
}
