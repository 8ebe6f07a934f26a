// One lint for the whole workspace. The module-boundary rule is an error: it keeps the call
// domain framework-free and each app inside its scope (see ../shared/CONVENTIONS.md).
import nx from '@nx/eslint-plugin';

/** The files of `scope:portal` (the browser side). */
const PORTAL_SCOPE = ['apps/portal/**/*.ts', 'libs/ui/**/*.ts', 'libs/call-domain/signaling/**/*.ts'];
const SCHEMAS_BANNED = 'The zod schemas are for the API: the portal uses the types from @switchboard/call-domain.';

export default [
  { ignores: ['**/dist', '**/node_modules', '**/.angular', '**/.nx', 'data', 'tmp', '**/*.cjs'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            {
              sourceTag: 'scope:shared',
              onlyDependOnLibsWithTags: ['scope:shared'],
            },
            {
              sourceTag: 'scope:api',
              onlyDependOnLibsWithTags: ['scope:api', 'scope:shared'],
              bannedExternalImports: ['@angular/*'],
            },
            {
              sourceTag: 'scope:portal',
              onlyDependOnLibsWithTags: ['scope:portal', 'scope:shared'],
              bannedExternalImports: ['@nestjs/*', 'better-sqlite3', 'pg', 'kysely', 'zod', '@switchboard/call-domain/schemas'],
            },
            {
              sourceTag: 'scope:tools',
              onlyDependOnLibsWithTags: ['scope:shared', 'scope:api', 'scope:tools'],
              bannedExternalImports: ['@angular/*'],
            },
            {
              sourceTag: 'type:domain',
              onlyDependOnLibsWithTags: ['type:domain'],
              bannedExternalImports: ['@angular/*', '@nestjs/*', 'rxjs', 'rxjs/*', 'socket.io', 'node:*'],
            },
            { sourceTag: 'type:ui', onlyDependOnLibsWithTags: ['type:ui', 'type:domain'] },
            { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:data-access', 'type:domain'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:feature', 'type:ui', 'type:data-access', 'type:domain', 'type:util'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...nx.configs['flat/angular'].map((c) => ({ ...c, files: PORTAL_SCOPE })),
  {
    files: PORTAL_SCOPE,
    rules: {
      '@angular-eslint/directive-selector': ['error', { type: 'attribute', prefix: 'sb', style: 'camelCase' }],
      '@angular-eslint/component-selector': ['error', { type: 'element', prefix: 'sb', style: 'kebab-case' }],
    },
  },
  {
    // Nx's bannedExternalImports only checks npm packages, so it lets a workspace path through:
    // the portal's scope fences the zod schemas (and zod with them) out of the browser here.
    files: PORTAL_SCOPE,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: '@switchboard/call-domain/schemas', message: SCHEMAS_BANNED }],
          patterns: [{ group: ['**/call-domain/core/src/schemas', '**/call-domain/core/src/schemas/**'], message: SCHEMAS_BANNED }],
        },
      ],
    },
  },
  {
    // A migration is frozen: what it did must not change when the application's code does, so
    // it imports no code of the API (types are fine, they leave nothing behind when compiled).
    files: ['apps/api/src/database/migrations/*.ts'],
    ignores: ['apps/api/src/database/migrations/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../*', '../**'], allowTypeImports: true, message: 'A migration is frozen: copy what it needs from the application into it.' }] },
      ],
    },
  },
  ...nx.configs['flat/angular-template'].map((c) => ({ ...c, files: ['**/*.html'] })),
];
