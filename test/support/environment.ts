/**
 * What the machine offers the tests: a PostgreSQL server (DATABASE_URL), GDAL's ogrinfo, Chromium.
 * Locally a missing tool skips its suite and the run ends with a plain list of what was not run;
 * under CI (CI=true) a missing tool fails the suite, so nothing is left out there.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

const notRun = new Map<string, string>();

/** True under `.ci/run`. */
export const inCi = process.env.CI === 'true';

/** The server database URL for the suite, or '' (then only the embedded backend is tested). */
export const serverDatabaseUrl = process.env.DATABASE_URL ?? '';

/** Path of Debian's Chromium, if installed. */
export const chromiumPath = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p)) ?? '';

/** True when `ogrinfo` (gdal-bin) runs. */
export const hasOgrinfo = (() => {
  try {
    execFileSync('ogrinfo', ['--version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
})();

/**
 * Call in a suite's `before`: skips the suite (locally) or fails it (CI) when `available` is false.
 * `what` names the missing tool and how to get it, for the closing summary.
 */
export function requireTool(ctx: Mocha.Context, available: boolean, suite: string, what: string): void {
  if (available) return;
  if (inCi) throw new Error(`${suite}: ${what} is missing; .ci/run must install it`);
  notRun.set(suite, what);
  ctx.skip();
}

/** The suites that could not run, for the summary at the end of the run. */
export function suitesNotRun(): Map<string, string> {
  return notRun;
}
