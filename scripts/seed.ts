/**
 * npm run seed -- --scale N: replaces the demo data of DATABASE_URL (or of the embedded database in
 * DATA_DIR) with a fresh set at scale N (default SEED_SCALE, 1), then prints the counts and the time.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../server/config.ts';
import { openDatabase } from '../server/db/database.ts';
import { createLogger } from '../server/log.ts';
import { seedDemo } from '../server/seed/demo.ts';

const { values } = parseArgs({ options: { scale: { type: 'string' } } });
const config = loadConfig();
const scale = values.scale === undefined ? config.seedScale : Number(values.scale);
if (!Number.isFinite(scale) || scale <= 0 || scale > 100) {
  console.error(`--scale must be a number above 0 and at most 100, got ${JSON.stringify(values.scale)}`);
  process.exit(2);
}
const opened = Date.now();
const db = await openDatabase(config); // opening migrates
const where = db.backend === 'server' ? 'PostgreSQL server (DATABASE_URL)' : `embedded PGlite (${config.dataDir})`;
console.log(
  `seeding demo data at scale ${scale} into ${where}, PostGIS ${db.capabilities.postgisVersion} (opened in ${Date.now() - opened} ms)`,
);
try {
  const report = await seedDemo(db, { scale, log: createLogger(config.logLevel) });
  for (const [table, n] of Object.entries(report.counts)) console.log(`  ${table.padEnd(18)} ${String(n).padStart(8)}`);
  console.log(`seeded in ${(report.ms / 1000).toFixed(1)} s`);
} finally {
  await db.close();
}
