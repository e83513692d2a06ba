// Flat ESLint config. The `no-restricted-imports` blocks below hold the layer rule from
// docs/ARCHITECTURE.md: imports only point down (renderer and core/common never reach Node-only code).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';

const nodeOnly = ['**/core/node/**', '**/app/**', '**/cli/**', '**/main/**', '**/server/**', '**/preload/**'];
/** What core/node may never import. */
const aboveNode = ['**/app/**', '**/cli/**', '**/main/**', '**/server/**', '**/preload/**', '**/renderer/**', '**/api/**'];
const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'worker_threads', 'crypto'];

/** @param {string[]} groups */
const forbid = (groups, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: groups, message }] }],
});

export default tseslint.config(
  // Dot folders are tool scratch space (device bundles, caches), never project source.
  { ignores: ['node_modules/', 'out/', 'dist/', 'release/', 'test-results/', 'resources/', '**/.*/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
  },
  {
    files: ['src/core/common/**'],
    rules: forbid([...nodeOnly, ...nodeBuiltins, '**/api/**', '**/renderer/**'], 'core/common is pure: no Node APIs, no upper layers.'),
  },
  {
    files: ['src/api/**'],
    rules: forbid([...nodeOnly, ...nodeBuiltins, '**/renderer/**'], 'api is shared by main, preload, server and renderer: only core/common below it.'),
  },
  {
    files: ['src/renderer/**'],
    rules: forbid([...nodeOnly, ...nodeBuiltins], 'The renderer runs in a sandboxed page: only api and core/common.'),
  },
  {
    files: ['src/core/node/**'],
    rules: forbid(aboveNode, 'core/node sits below api, app, cli, main and server.'),
  },
  {
    // Inside core the stages keep an order too: a model is what training makes and export reads,
    // so models/ never reaches up into train/ or onnx/. Tests may: one trains a small model to score.
    files: ['src/core/node/models/**'],
    ignores: ['**/*.test.ts'],
    rules: forbid([...aboveNode, '**/train/**', '**/onnx/**'], 'models sit below train and onnx (and core/node below api, app, cli, main and server).'),
  },
  {
    // Training writes weights and export reads them: side by side on models/, neither calls the other.
    files: ['src/core/node/train/**'],
    rules: forbid([...aboveNode, '**/onnx/**'], 'train writes model folders and does not export them (and core/node sits below api, app, cli, main and server).'),
  },
  {
    files: ['src/core/node/onnx/**'],
    rules: forbid([...aboveNode, '**/train/**'], 'onnx exports model folders and does not train (and core/node sits below api, app, cli, main and server).'),
  },
  {
    files: ['src/app/**'],
    rules: forbid(['**/cli/**', '**/main/**', '**/server/**', '**/preload/**', '**/renderer/**'], 'The app backend sits on api and core, below main and server.'),
  },
  {
    files: ['src/preload/**'],
    rules: forbid(['**/core/node/**', '**/app/**', '**/cli/**', '**/main/**', '**/server/**', '**/renderer/**'], 'preload exposes the api contract only.'),
  },
);
