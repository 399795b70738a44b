/**
 * knex migrations from `migrations/*.ts`, run at start and by `npm run migrate`.
 * A custom source imports the files itself, so the same code runs under tsx and in tests.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Knex } from 'knex';

/** Where the migration files live. */
export const migrationsDir = path.resolve(import.meta.dirname, '..', '..', 'migrations');

interface MigrationModule {
  up(knex: Knex): Promise<void>;
  down?(knex: Knex): Promise<void>;
}

/** Lists `migrations/*.ts` in name order and imports each when knex asks for it. */
const source: Knex.MigrationSource<string> = {
  async getMigrations() {
    return fs
      .readdirSync(migrationsDir)
      .filter((f) => /^\d{3}_[a-z0-9_]+\.ts$/.test(f))
      .sort();
  },
  getMigrationName: (file) => file.replace(/\.ts$/, ''),
  async getMigration(file) {
    const mod = (await import(pathToFileURL(path.join(migrationsDir, file)).href)) as MigrationModule;
    return { up: mod.up, down: mod.down ?? (async () => undefined) };
  },
};

/** Applies every pending migration; running it again is a no-op. */
export async function migrateLatest(knex: Knex): Promise<string[]> {
  const [, applied] = (await knex.migrate.latest({ migrationSource: source })) as [number, string[]];
  return applied;
}
