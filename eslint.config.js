// Lint rules, including the layer boundaries written down in docs/architecture.md.
import tseslint from 'typescript-eslint';

/** Layers and the layers each one must not import (see docs/architecture.md). */
const forbidden = {
  domain: ['config', 'storage', 'engine', 'http', 'server', 'cli', 'agent', 'executor'],
  config: ['domain', 'storage', 'engine', 'http', 'server', 'cli', 'agent', 'executor'],
  storage: ['config', 'engine', 'http', 'server', 'cli', 'agent', 'executor'],
  engine: ['http', 'server', 'cli', 'agent', 'executor'],
  http: ['server', 'cli', 'agent', 'executor'],
  executor: ['storage', 'engine', 'http', 'server', 'cli', 'agent'],
  agent: ['storage', 'engine', 'http', 'server', 'cli'],
  server: ['cli'],
  cli: [],
};

const boundaryConfigs = Object.entries(forbidden).map(([layer, banned]) => ({
  files: [`src/${layer}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: banned.map((b) => ({
          group: [`**/${b}/**`, `../${b}`, `../../${b}`],
          message: `src/${layer} must not depend on src/${b} (docs/architecture.md)`,
        })),
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.circlet/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  ...boundaryConfigs,
  // The dashboard is one more API client: it talks to circlet over HTTP only.
  {
    files: ['web/**/*.ts', 'web/**/*.tsx'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/src/**', '../../src/*'], message: 'web/ talks to circlet only through the public API' }] }],
    },
  },
);
