/**
 * Access control and upload bookkeeping: API tokens (stored as SHA-256 hashes, never in clear), the audit log of
 * every change to a layer or a token, and upload jobs (so a job's status survives the instance that ran it).
 */
import type { Knex } from 'knex';

/** Creates api_tokens, audit_log, upload_jobs and layer_previous. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('api_tokens', (t) => {
    t.string('id', 32).primary(); // public handle ("tok_..."), shown in listings and audit rows
    t.text('name').notNullable(); // who holds it (a person or a program)
    t.string('role', 16).notNullable(); // viewer | editor | admin
    t.string('token_hash', 64).notNullable().unique(); // hex SHA-256 of the secret; the secret itself is never stored
    t.text('created_by');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('revoked_at', { useTz: true });
    t.timestamp('last_used_at', { useTz: true });
  });
  await knex.raw(`ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check CHECK (role IN ('viewer', 'editor', 'admin'))`);

  await knex.schema.createTable('audit_log', (t) => {
    t.bigIncrements('id');
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('actor').notNullable(); // token name, or "cli" for the token command
    t.string('token_id', 32);
    t.string('action', 32).notNullable(); // publish | replace | rollback | update | delete | token_create | token_revoke
    t.string('layer_id', 63);
    t.integer('old_version');
    t.integer('new_version');
    t.jsonb('details').notNullable().defaultTo('{}');
  });
  await knex.raw('CREATE INDEX audit_log_layer_idx ON audit_log (layer_id, at)');

  await knex.schema.createTable('upload_jobs', (t) => {
    t.string('id', 36).primary();
    t.string('status', 24).notNullable();
    t.string('layer_id', 63);
    t.text('owner');
    t.string('token_id', 32);
    t.jsonb('report').notNullable().defaultTo('{}'); // the job as GET /admin/jobs/{id} shows it
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  // The catalog row a publish replaced, so a rollback restores metadata together with the `<table>__prev` data.
  await knex.schema.createTable('layer_previous', (t) => {
    t.string('layer_id', 63).primary();
    t.jsonb('catalog_row').notNullable();
    t.timestamp('saved_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

/** Drops the four tables (uploaded layer tables stay; their catalog rows name them). */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('layer_previous');
  await knex.schema.dropTableIfExists('upload_jobs');
  await knex.schema.dropTableIfExists('audit_log');
  await knex.schema.dropTableIfExists('api_tokens');
}
