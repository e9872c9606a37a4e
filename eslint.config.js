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

/** Every source file of a layer, TypeScript and plain ES modules alike. */
const sources = (layer) => [`src/${layer}/**/*.ts`, `src/${layer}/**/*.mjs`];

const SQL_ONLY_IN_STORAGE = 'SQL lives in src/storage: call a storage function instead (docs/architecture.md)';

/** Outside src/storage: no Kysely, no sql`` templates, no query builders, no transactions. */
const sqlImports = [{ name: 'kysely', message: SQL_ONLY_IN_STORAGE }];
const sqlSyntax = [
  { selector: "TaggedTemplateExpression[tag.name='sql']", message: SQL_ONLY_IN_STORAGE },
  { selector: "CallExpression[callee.property.name=/^(selectFrom|insertInto|updateTable|deleteFrom|replaceInto|mergeInto|transaction)$/]", message: SQL_ONLY_IN_STORAGE },
];

const boundaryConfigs = Object.entries(forbidden).map(([layer, banned]) => {
  const message = (b) => `src/${layer} must not depend on src/${b} (docs/architecture.md)`;
  const storage = layer === 'storage';
  return {
    files: sources(layer),
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: storage ? [] : sqlImports,
          patterns: banned.map((b) => ({ group: [`**/${b}/**`, `../${b}`, `../../${b}`], message: message(b) })),
        },
      ],
      // import('…') at run time is held to the same boundaries as a static import.
      'no-restricted-syntax': [
        'error',
        ...banned.map((b) => ({ selector: `ImportExpression[source.value=/(^|\\/)${b}(\\/|$)/]`, message: message(b) })),
        ...(storage ? [] : sqlSyntax),
      ],
    },
  };
});

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
