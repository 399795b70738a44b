/**
 * Token administration from the command line (the bootstrap path: the first admin token comes from here).
 *   npm run token -- create --role editor --name "Nguyễn Văn A"
 *   npm run token -- list
 *   npm run token -- revoke tok_abc123
 * Uses DATABASE_URL / DATA_DIR like the server (migrating first), so it works on both backends. While an embedded
 * server runs on DATA_DIR, the CLI goes through that server's local socket (DATA_DIR/run), so the token works at once.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../server/config.ts';
import { openDatabase } from '../server/db/database.ts';
import { createToken, isRole, listTokens, revokeToken, roles } from '../server/auth/tokens.ts';
import { cliActor } from '../server/auth/audit.ts';

const usage = `usage:
  npm run token -- create --role <${roles.join('|')}> --name <name>
  npm run token -- list
  npm run token -- revoke <token id>`;

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { role: { type: 'string' }, name: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command, arg] = positionals;
  if (values.help || !command) {
    console.log(usage);
    return command ? 0 : 2;
  }
  // Arguments are checked before the database is opened (that takes seconds on the embedded backend).
  if (command === 'create' && (!isRole(values.role) || !values.name)) {
    console.error(`create needs --role (${roles.join(', ')}) and --name\n${usage}`);
    return 2;
  }
  if (command === 'revoke' && !arg) {
    console.error(`revoke needs a token id\n${usage}`);
    return 2;
  }
  if (!['create', 'list', 'revoke'].includes(command)) {
    console.error(`unknown command "${command}"\n${usage}`);
    return 2;
  }
  // While the server runs, its data directory is locked: ask that server's database (local socket) instead.
  const db = await openDatabase(loadConfig(), { joinRunningServer: true });
  try {
    if (command === 'create' && isRole(values.role) && values.name) {
      const t = await createToken(db, values.name, values.role, cliActor);
      console.log(`created ${t.id} (${t.role}) for ${t.name}\ntoken (shown once, keep it secret):\n${t.token}`);
      return 0;
    }
    if (command === 'list') {
      for (const t of await listTokens(db)) {
        console.log([t.id, t.role.padEnd(6), t.revokedAt ? `revoked ${t.revokedAt}` : 'active', t.createdAt, t.name].join('\t'));
      }
      return 0;
    }
    const done = await revokeToken(db, arg, cliActor);
    console.log(done ? `revoked ${arg}` : `no active token ${arg}`);
    return done ? 0 : 1;
  } finally {
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
