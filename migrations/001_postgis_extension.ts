/** PostGIS itself. On the server it must be installed (Debian: postgresql-15-postgis-3). */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE EXTENSION IF NOT EXISTS postgis');
}

export async function down(): Promise<void> {
  // The extension may be shared with other schemas; never dropped by us.
}
