// Lint rules, including the layer boundaries written down in docs/architecture.md.
import tseslint from 'typescript-eslint';

/** Layers and the layers each one must not import (see docs/architecture.md). */
const forbidden = {
  domain: ['config', 'storage', 'engine', 'http', 'server', 'run', 'cli', 'agent', 'executor'],
  config: ['domain', 'storage', 'engine', 'http', 'server', 'run', 'cli', 'agent', 'executor'],
  storage: ['config', 'engine', 'http', 'server', 'run', 'cli', 'agent', 'executor'],
  engine: ['http', 'server', 'run', 'cli', 'agent', 'executor'],
  http: ['server', 'run', 'cli', 'agent', 'executor'],
  executor: ['storage', 'engine', 'http', 'server', 'run', 'cli', 'agent'],
  agent: ['storage', 'engine', 'http', 'server', 'run', 'cli'],
  server: ['run', 'cli'],
  run: ['cli'],
  cli: [],
};

/** Every source file of a layer, TypeScript and plain ES modules alike. */
const sources = (layer) => [`src/${layer}/**/*.ts`, `src/${layer}/**/*.mjs`];

const DYNAMIC_IMPORT_LITERAL = 'import() takes a string literal, so the layer rules can check it (docs/architecture.md)';

const SQL_ONLY_IN_STORAGE = 'SQL lives in src/storage: call a storage function instead (docs/architecture.md)';

/** Outside src/storage: no Kysely, no sql`` templates, no query builders, no transactions. */
const sqlImports = [{ name: 'kysely', message: SQL_ONLY_IN_STORAGE }];
const sqlSyntax = [
  { selector: "TaggedTemplateExpression[tag.name='sql']", message: SQL_ONLY_IN_STORAGE },
  { selector: "CallExpression[callee.property.name=/^(selectFrom|insertInto|updateTable|deleteFrom|replaceInto|mergeInto|transaction)$/]", message: SQL_ONLY_IN_STORAGE },
];

/** The HTTP APIs: each folder of src/http is one Fastify plugin (docs/architecture.md). */
const apis = ['v2', 'v1', 'runner', 'runner-admin', 'hooks', 'web', 'metrics', 'oidc'];

/**
 * Inside src/http: an API never imports another API's folder, and a route file (a file
 * directly in an API folder) never imports another route file; what two share lives in the
 * folder's presenters/, schemas/ or services/, or in src/http itself.
 */
function httpPatterns(api, routeFile) {
  const others = apis.filter((a) => a !== api);
  const patterns = [
    {
      group: others.flatMap((o) => [`../${o}/*`, `../../${o}/*`, `../../../${o}/*`, `**/http/${o}/*`]),
      message: `src/http/${api} must not import another API's folder (${others.join(', ')}): share it through src/http (docs/architecture.md)`,
    },
  ];
  if (routeFile) {
    patterns.push({
      group: ['./*', '!./presenters', '!./schemas', '!./services'],
      message: 'route files never import each other: move what they share to presenters/, schemas/ or services/ (docs/architecture.md)',
    });
  }
  return patterns;
}

function importRule(layer, banned, extra = []) {
  const message = (b) => `src/${layer} must not depend on src/${b} (docs/architecture.md)`;
  return [
    'error',
    {
      paths: layer === 'storage' ? [] : sqlImports,
      patterns: [...banned.map((b) => ({ group: [`**/${b}/**`, `../${b}`, `../../${b}`], message: message(b) })), ...extra],
    },
  ];
}

const httpConfigs = apis.flatMap((api) => [
  { files: [`src/http/${api}/**/*.ts`], rules: { 'no-restricted-imports': importRule('http', forbidden.http, httpPatterns(api, false)) } },
  { files: [`src/http/${api}/*.ts`], ignores: [`src/http/${api}/index.ts`], rules: { 'no-restricted-imports': importRule('http', forbidden.http, httpPatterns(api, true)) } },
]);

const boundaryConfigs = Object.entries(forbidden).map(([layer, banned]) => {
  const message = (b) => `src/${layer} must not depend on src/${b} (docs/architecture.md)`;
  const storage = layer === 'storage';
  return {
    files: sources(layer),
    rules: {
      'no-restricted-imports': importRule(layer, banned),
      // import('…') at run time is held to the same boundaries as a static import.
      'no-restricted-syntax': [
        'error',
        ...banned.map((b) => ({ selector: `ImportExpression[source.value=/(^|\\/)${b}(\\/|$)/]`, message: message(b) })),
        // Only a literal path can be checked: a computed import('…') would pass any boundary.
        { selector: "ImportExpression[source.type!='Literal']", message: DYNAMIC_IMPORT_LITERAL },
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
  ...httpConfigs,
  // The dashboard is one more API client: it talks to circlet over HTTP only.
  {
    files: ['web/**/*.ts', 'web/**/*.tsx'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/src/**', '../../src/*'], message: 'web/ talks to circlet only through the public API' }] }],
    },
  },
);
