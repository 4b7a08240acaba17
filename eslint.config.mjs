// @ts-check
import eslint from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** The project's lint rules: eslint's and typescript-eslint's recommended sets, and a few house rules. */
export default defineConfig(
  { ignores: ['node_modules/', 'cdk.out/', 'coverage/', '.keygate-data/', 'dist/', 'client/openapi.d.ts'] },
  eslint.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      eqeqeq: ['error', 'always'],
      'no-console': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // tsc's noUnusedLocals and noUnusedParameters already fail the build on these.
      '@typescript-eslint/no-unused-vars': 'off',
    },
  },
  {
    // scripts, the local gateway and the benchmark talk to a person on the terminal.
    files: ['bin/**', 'local/**', 'bench/**', 'examples/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // tests read untyped JSON (templates, answers) and assert on it: a wrong guess fails the assertion.
    files: ['test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.cjs', '**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // browser code: the web components and the demo dashboard's own script.
    files: ['elements/**', 'local/demo/**'],
    languageOptions: { sourceType: 'module', globals: { ...globals.browser } },
  },
);
