import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ESLint } from 'eslint';

/** The repository root, from `dist/api-spec/tools/src` where this spec runs compiled. */
const ROOT = resolve(__dirname, '../../../..');

/**
 * The workspace's own lint config keeps the zod schemas out of the portal's scope. Nx's
 * `bannedExternalImports` only checks npm packages, so this proves the rule that does fire.
 */
describe('lint: the zod schemas stay out of the portal', () => {
  let eslint: ESLint;

  beforeAll(() => {
    expect(existsSync(join(ROOT, 'eslint.config.mjs'))).withContext(ROOT).toBeTrue();
    // The module-boundary rule needs Nx's project graph (built by `npm run lint`), not what is proven here.
    eslint = new ESLint({ cwd: ROOT, overrideConfig: { rules: { '@nx/enforce-module-boundaries': 'off' } } });
  });

  /** The no-restricted-imports findings for `code` as if it were the file at `path`. */
  async function restrictedImports(path: string, code: string): Promise<string[]> {
    const [result] = await eslint.lintText(code, { filePath: join(ROOT, path) });
    expect(result.messages.filter((m) => m.fatal)).toEqual([]);
    return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
  }

  const schemasImport = "import { roleSchema } from '@switchboard/call-domain/schemas';\nexport const role = roleSchema;\n";

  it('refuses @switchboard/call-domain/schemas in the portal, the UI library and the signaling library', async () => {
    for (const path of ['apps/portal/src/app/lint-probe.ts', 'libs/ui/src/lint-probe.ts', 'libs/call-domain/signaling/src/lint-probe.ts']) {
      const messages = await restrictedImports(path, schemasImport);
      expect(messages.length).withContext(path).toBe(1);
      expect(messages[0]).withContext(path).toContain('The zod schemas are for the API');
    }
  });

  it('refuses a relative path to the schemas, and type-only imports too', async () => {
    const relative = "import { roleSchema } from '../../../../libs/call-domain/core/src/schemas';\nexport const role = roleSchema;\n";
    expect((await restrictedImports('apps/portal/src/app/lint-probe.ts', relative)).length).toBe(1);
    const typeOnly = "import type { SupervisorAgentState } from '@switchboard/call-domain/schemas';\nexport type State = SupervisorAgentState;\n";
    expect((await restrictedImports('apps/portal/src/app/lint-probe.ts', typeOnly)).length).toBe(1);
  });

  it('lets the API import the schemas, and the portal import the call domain', async () => {
    expect(await restrictedImports('apps/api/src/lint-probe.ts', schemasImport)).toEqual([]);
    const domain = "import { NO_AGENTS_MESSAGE } from '@switchboard/call-domain';\nexport const message = NO_AGENTS_MESSAGE;\n";
    expect(await restrictedImports('apps/portal/src/app/lint-probe.ts', domain)).toEqual([]);
  });
});
