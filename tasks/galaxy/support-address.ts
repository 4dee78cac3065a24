// The only addresses galaxy servers may bind: 127.0.0.x with x in 2..250 (dependency-free, shared with the http server script).

/** The loopback addresses galaxy servers use, as a pattern; `isGalaxyAddress` also checks the range. */
export const GALAXY_ADDRESS = /^127\.0\.0\.([1-9][0-9]{0,2})$/;

/** True when `address` is exactly `127.0.0.x` with x in 2..250, written without leading zeros. */
export function isGalaxyAddress(address: string): boolean {
  const m = GALAXY_ADDRESS.exec(address);
  if (!m) return false;
  const x = Number(m[1]);
  return x >= 2 && x <= 250;
}
