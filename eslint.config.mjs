// Lint rules that guard the design. Folders follow the flow of data —
// contracts → rules → db → lake → ingest → workflows → activities → workers → api / cli —
// and a folder imports only from folders before it (plus `runtime/` for
// configuration and logging; the process wiring in `runtime/` is for the
// commands). Workflow code must stay deterministic, so it may not import Node
// builtins, pg, nats or the non-workflow Temporal packages (crossing into
// activities is `import type` only). contracts/ and rules/ do no I/O.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

/** The folders in flow order; each may import only from those before it. */
const FLOW = ['contracts', 'rules', 'db', 'lake', 'ingest', 'workflows', 'activities', 'workers', 'api', 'cli'];
const folderPatterns = (folder) => [`../${folder}`, `../${folder}/*`, `../../${folder}`, `../../${folder}/*`, `../../${folder}/**`, `../${folder}/**`];
/** runtime/ modules that wire processes together (start services, supervise children): commands only. */
const RUNTIME_WIRING = ['platform', 'supervisor', 'restart-policy', 'service-keeper', 'dependency-watch', 'services/*'].flatMap((m) => [`../runtime/${m}`, `../../runtime/${m}`]);
const NO_IO = ['pg', 'pg/*', 'nats', 'nats/*', 'drizzle-orm', 'drizzle-orm/*', '@temporalio/*', 'fastify', 'fastify/*'];

/** What a folder may not import: every folder after it in the flow, the process wiring, bench and the SDK. */
function flowRule(folder, { allowTypes = [], extra = [] } = {}) {
  const later = FLOW.slice(FLOW.indexOf(folder) + 1);
  const patterns = later.map((f) => ({
    group: folderPatterns(f),
    allowTypeImports: allowTypes.includes(f),
    message: `${folder}/ comes before ${f}/ in the flow (contracts → rules → db → lake → ingest → workflows → activities → workers → api / cli): move the shared part down the flow instead`,
  }));
  patterns.push({ group: [...RUNTIME_WIRING, ...folderPatterns('bench'), ...folderPatterns('sdk')], message: 'process wiring, the bench and the SDK are not for library code' });
  if (extra.length) patterns.push({ group: extra, message: `${folder}/ does no I/O` });
  return { files: [`${folder}/**/*.ts`], rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] } };
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'db/migrations/**', '.braid/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: 'workflow code is deterministic: no Node builtins' })),
            { name: 'pg', message: 'workflow code does no I/O: use an activity' },
            { name: 'nats', message: 'workflow code does no I/O: use an activity' },
            { name: 'drizzle-orm', message: 'workflow code does no I/O: use an activity' },
            { name: '@temporalio/client', message: 'workflows use @temporalio/workflow only' },
            { name: '@temporalio/worker', message: 'workflows use @temporalio/workflow only' },
            { name: '@temporalio/activity', message: 'workflows use @temporalio/workflow only' },
            { name: '@temporalio/testing', message: 'workflows use @temporalio/workflow only' },
          ],
          patterns: [
            { group: ['../activities', '../activities/*'], allowTypeImports: true, message: 'cross into activities with `import type` only' },
            { group: ['pg/*', 'nats/*', 'drizzle-orm/*', '../db', '../db/*', '../lake', '../lake/*', '../ingest', '../ingest/*', '../runtime/*', '../api/*', '../cli/*', '../workers/*'], message: 'workflow code does no I/O' },
          ],
        },
      ],
    },
  },
  flowRule('contracts', { extra: NO_IO }),
  flowRule('rules', { extra: NO_IO }),
  flowRule('db'),
  // The lake: canonical events as Parquet files (DuckDB), written from db/'s rows.
  flowRule('lake'),
  // Ingest signals workflows by the names in contracts/wire.ts, typed with the workflows' own types.
  flowRule('ingest', { allowTypes: ['workflows'] }),
  flowRule('activities'),
  flowRule('workers'),
  flowRule('api'),
  {
    // The SDK ships to app teams: the contract and the pure rules only.
    files: ['sdk/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../*', '!../contracts', '!../contracts/*', '!../rules', '!../rules/*'], message: 'the SDK imports only contracts/ and rules/' }] },
      ],
    },
  },
  {
    // Configuration, logging, paths, metrics and tracing are for everyone; they import only contracts/ and rules/.
    files: ['runtime/config.ts', 'runtime/logger.ts', 'runtime/paths.ts', 'runtime/metrics.ts', 'runtime/tracing.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../*', '!../contracts', '!../contracts/*', '!../rules', '!../rules/*'], message: 'shared runtime modules import only contracts/ and rules/' }] },
      ],
    },
  },
  {
    files: ['bin/**/*.js', 'scripts/**/*.js'],
    languageOptions: { globals: { require: 'readonly', __dirname: 'readonly', console: 'readonly', process: 'readonly' } },
  },
  {
    // The console runs in the browser: its globals, and Chart.js loaded by its own script tag.
    files: ['api/console/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: Object.fromEntries(
        ['document', 'window', 'location', 'sessionStorage', 'fetch', 'URLSearchParams', 'Option', 'Chart', 'setInterval', 'clearInterval', 'console'].map((g) => [g, 'readonly']),
      ),
    },
  },
);
