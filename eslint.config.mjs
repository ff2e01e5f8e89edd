// Lint rules that guard the design: workflow code must stay deterministic, so
// it may not import Node builtins, pg, nats or the non-workflow Temporal
// packages (crossing into activities is `import type` only).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

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
            { group: ['pg/*', 'nats/*', 'drizzle-orm/*', '../db/*', '../ingest/*', '../runtime/*', '../api/*'], message: 'workflow code does no I/O' },
          ],
        },
      ],
    },
  },
  {
    files: ['bin/**/*.js', 'scripts/**/*.js'],
    languageOptions: { globals: { require: 'readonly', __dirname: 'readonly', console: 'readonly', process: 'readonly' } },
  },
);
