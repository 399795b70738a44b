/** Mocha root hooks: close the shared servers, then say plainly which suites could not run. */
import { closeSharedServers } from './support/servers.ts';
import { suitesNotRun, serverDatabaseUrl } from './support/environment.ts';

export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await closeSharedServers();
    const notRun = suitesNotRun();
    const lines = [...notRun].map(([suite, what]) => `  - ${suite}: ${what}`);
    if (!serverDatabaseUrl)
      lines.unshift('  - every database suite against server PostGIS: DATABASE_URL is not set (only embedded PGlite was tested)');
    if (lines.length) console.log(`\nNOT RUN on this machine (install the tools, or run .ci/run):\n${lines.join('\n')}\n`);
  },
};
