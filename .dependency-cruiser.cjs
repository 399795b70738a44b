/**
 * The rules of the house (docs/ARCHITECTURE.md), checked by `npm run lint:deps` inside `npm test`.
 * Type-only imports are allowed across floors where noted: a type carries no behaviour.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Files that import each other cannot be understood (or tested) one at a time.',
      from: { path: '^(server|viewer/src|scripts|migrations)' },
      to: { circular: true, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'domain-does-not-know-http',
      severity: 'error',
      comment: 'Only the HTTP edge (server/http, app.ts, server.ts, index.ts) imports from server/http.',
      from: { path: '^server/', pathNot: '^server/(http/|app\\.ts|server\\.ts|index\\.ts)' },
      to: { path: '^server/http/' },
    },
    {
      name: 'express-only-at-the-edge',
      severity: 'error',
      comment: 'Nothing under server/ but http/, app.ts and server.ts imports express (or its middleware).',
      from: { path: '^server/', pathNot: '^server/(http/|app\\.ts|server\\.ts)' },
      to: { path: '^node_modules/(express|compression|cors|helmet|pino-http|busboy)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'only-db-connects',
      severity: 'error',
      comment: 'Only server/db opens connections and runs the database driver; others get a Database.',
      from: { path: '^server/', pathNot: '^server/db/' },
      to: {
        path: '^node_modules/(pg|pg-query-stream|knex-pglite|@electric-sql/pglite[^/]*)/',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'viewer-is-a-client',
      severity: 'error',
      comment:
        'The viewer talks to the server through the public API only. It shares the wire module (server/wire: ' +
        'JSON shapes and constants such as the VN-2000 shift) and may import other server code as types only.',
      from: { path: '^viewer/' },
      to: { path: '^server/', pathNot: '^server/wire/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'wire-is-pure',
      severity: 'error',
      comment:
        'server/wire is what server and viewer both compile and bundle: pure types and constants, importing only ' +
        'itself (no node:, no packages, no other server code), so the browser bundle and the viewer tsconfig take it.',
      from: { path: '^server/wire/' },
      to: { pathNot: '^server/wire/' },
    },
    {
      name: 'server-does-not-import-viewer-code',
      severity: 'error',
      comment: 'The server builds and serves the viewer bundle; it does not run viewer code.',
      from: { path: '^server/', pathNot: '^server/http/viewer\\.ts$' },
      to: { path: '^viewer/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(test-output|data)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js', '.json'],
    },
  },
};
