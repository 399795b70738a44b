// ESLint (flat config): typescript-eslint's recommended rules over server, viewer, tests and scripts. Layout is
// Prettier's business (.prettierrc.json), so no formatting rules here; `npm run lint` runs both in `npm test`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'test-output/', 'viewer/dist/', 'bench/', 'layers/data/', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // Unused names are errors, but a leading underscore marks a deliberately unused parameter.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Control characters in regexes are deliberate where we validate input (NUL bytes, C0 controls).
      'no-control-regex': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
      // Prettier wraps code at 130; what it cannot wrap (comments, long URLs) stops at 150. Messages and SQL in
      // strings may run longer: split, they would be harder to find by a search for the text a user reports.
      'max-len': ['error', { code: 150, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true }],
    },
  },
  { files: ['viewer/src/**/*.ts'], languageOptions: { globals: { ...globals.browser } } },
  {
    files: ['test/**/*.ts'],
    languageOptions: { globals: { ...globals.mocha, ...globals.browser } },
    rules: {
      'no-console': 'off',
      '@typescript-eslint/no-unused-expressions': 'off',
      // Tests read JSON documents loosely (`type Json = any`): the assertions are the type check.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  { files: ['scripts/**/*.ts', 'viewer/build.ts', 'server/index.ts'], rules: { 'no-console': 'off' } },
);
