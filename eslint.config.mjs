// @ts-check
import eslint from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'coverage/', 'test/artifacts/'] },
  eslint.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      // An unused parameter or binding is fine when its name says so: `_req`, `{ retryStrategy: _ignored, ...rest }`.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: globals.node, sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module' },
  },
  {
    // The terminal client strips control characters and ANSI escapes on purpose.
    files: ['apps/chat-cli/**/*.ts'],
    rules: { 'no-control-regex': 'off' },
  },
  {
    // Tests read JSON frames and bodies of any shape.
    files: ['test/**/*.ts', '**/*.spec.ts', '**/*.e2e.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
