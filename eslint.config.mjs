// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Top-level folders of src/ that are areas (style.md §1). */
const AREAS = [
  'core',
  'config',
  'telemetry',
  'store',
  'livekit',
  'service',
  'http',
  'cli',
  'emulator',
  'demo',
  'dashboard',
];

/**
 * Which areas each area may import (besides itself). Data flows one way; nothing reaches back up.
 * `null` as an import means "nothing from src/" (emulator, dashboard).
 */
const ALLOWED = {
  core: [],
  config: ['core'],
  telemetry: ['config', 'core'],
  store: ['core', 'config', 'telemetry'],
  livekit: ['core', 'config', 'telemetry'],
  service: ['core', 'config', 'telemetry', 'store', 'livekit'],
  http: ['service', 'core', 'config', 'telemetry'],
  cli: ['service', 'core', 'config', 'telemetry', 'store', 'emulator', 'demo'],
  emulator: [],
  // The demo class drives the emulator through its public API only.
  demo: ['emulator'],
  dashboard: [],
};

/**
 * `no-restricted-imports` for files of `area`. Imports are matched as written, so the patterns
 * look at relative paths: `../store/index.js` from `src/service/x.ts`, `../../core/index.js` from a
 * sub-folder. Another area is reached only through its `index.js`.
 */
function areaImportRules(area) {
  const forbidden = AREAS.filter((a) => a !== area && !ALLOWED[area].includes(a));
  const allowed = ALLOWED[area];
  const patterns = [];
  if (forbidden.length > 0) {
    patterns.push({
      regex: `^(\\.\\./)+(${forbidden.join('|')})(/|$)`,
      message: `src/${area} may import only ${allowed.length > 0 ? allowed.join(', ') : 'itself'} (style.md §1).`,
    });
  }
  if (allowed.length > 0) {
    patterns.push({
      regex: `^(\\.\\./)+(${allowed.join('|')})/(?!index\\.js$).+`,
      message: 'Import another area through its index.js.',
    });
  }
  // main.ts is the composition root; nothing imports it.
  patterns.push({ regex: '^(\\.\\./)+main(\\.js)?$', message: 'Only the entry point loads main.' });
  return {
    files: [`src/${area}/**/*.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns }] },
  };
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'data/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: {
        projectService: {
          // vitest.config.ts is outside tsconfig.json's include.
          allowDefaultProject: ['*.config.ts'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A dropped await on an inbox write loses an acknowledged webhook (style.md §8).
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // A new union member (event type, outcome) must be handled, not fall into `default`.
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      'no-console': 'error',
    },
  },
  {
    // Plain JavaScript (bin/, bench/ runners, this file): syntax rules only, no type information.
    files: ['**/*.{js,mjs,cjs}'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  ...AREAS.map(areaImportRules),
  {
    files: ['src/dashboard/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Fastify plugins and handlers are async by contract: an async handler returns its reply value
    // and Fastify awaits it, so an `async` without `await` is the idiom there, not a slip.
    files: ['src/http/**/*.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  {
    // Migrations take `Kysely<any>`: frozen in time, they must not depend on today's table types.
    files: ['src/store/migrations/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Places whose job is to print.
    files: ['src/cli/**', 'bench/**', 'scripts/**', 'test/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // vitest's expect(...).rejects and mock helpers trip this on purpose.
      '@typescript-eslint/unbound-method': 'off',
      // Tests read response JSON loosely and assert exact values on it.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
