/** npm run migrate: applies pending migrations to DATABASE_URL (or the embedded database in DATA_DIR). */
import { loadConfig } from '../server/config.ts';
import { openDatabase } from '../server/db/database.ts';

const config = loadConfig();
const db = await openDatabase(config, { joinRunningServer: true }); // opening migrates (a running server did already)
const [{ n }] = await db.rows<{ n: number }>('SELECT count(*)::int AS n FROM knex_migrations');
console.log(`migrations applied: ${n} (${db.backend} backend, PostGIS ${db.capabilities.postgisVersion})`);
await db.close();
