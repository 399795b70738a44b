/**
 * The rules of the house (docs/ARCHITECTURE.md), checked by `npm run lint:deps` inside `npm test`.
 * Type-only imports are allowed across floors where noted: a type carries no behaviour.
 */
/** The domain folders of server/ (docs/ARCHITECTURE.md, the "domain" floor); seed/ fills the demo database. */
const domains = 'features|query|search|tiles|upload|edit|opendata|sources|units|limits|styles|seed';

/**
 * What one domain may import from another: each entry is a module its domain publishes for the others, with the
 * reason. Anything else shared goes down a floor (server/sql, server/catalog, server/crs, ...). Adding a line here
 * is a design decision: say why.
 */
const crossDomainModules = [
  'features/bytes\\.ts', // response bodies as UTF-8 byte chunks: the query answers stream the same way
  'features/links\\.ts', // OGC API link building: TileJSON links to the collection
  'upload/ownership\\.ts', // who may change a layer: edits follow the upload's ownership rules
  'upload/columns\\.ts', // safe column names and types: a table read in place gets the upload's column plan
  'upload/publish\\.ts', // the catalog row of a published layer: sources publish the same way
  'tiles/tilejson\\.ts', // TileJSON: the style document embeds each layer's tile source
  'units/crosswalk-file\\.ts', // the old -> new commune crosswalk: the seed loads it
  'units/mapping\\.ts', // its mapping: the seed loads it
  'units/old-codes\\.ts', // old commune codes and names in uploads, linked to today's units: the upload report names them
];

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
      name: 'no-domain-reads-another-domains-sql',
      severity: 'error',
      comment:
        "A domain's sql.ts builds that domain's queries. SQL that two domains need (a WHERE, column SQL, " +
        'identifiers) lives in server/sql/, which both import.',
      from: { path: `^server/(${domains})/` },
      to: { path: `^server/(${domains})/sql\\.ts$`, pathNot: '^server/$1/' },
    },
    {
      name: 'cross-domain-imports-are-listed',
      severity: 'error',
      comment:
        'A domain imports from another domain only the modules listed in crossDomainModules (type-only too: a type ' +
        'is a dependency on the other domain). Move shared code down a floor, or list the module with its reason.',
      from: { path: `^server/(${domains})/` },
      to: {
        path: `^server/(${domains})/`,
        pathNot: ['^server/$1/', ...crossDomainModules.map((m) => `^server/${m}$`)],
      },
    },
    {
      name: 'lower-floors-do-not-import-upwards',
      severity: 'error',
      comment:
        'The shared and ground floors (catalog, auth, sql, db, crs, text, wire, and the top-level modules below ' +
        'app.ts) import neither a domain nor the HTTP edge.',
      from: {
        path: '^server/((catalog|auth|sql|db|crs|text|wire)/|(context|metrics|errors|config|log|gzip)\\.ts$)',
      },
      to: { path: `^server/((${domains}|http)/|(app|server|index)\\.ts$)` },
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
