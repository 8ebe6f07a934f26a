import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import SQLite from 'better-sqlite3';
import { ConfigError, consoleOutput, loadConfig, ToolError, type ToolOutput } from './tool-context';

const USAGE = 'Usage: npm run backup [-- --to <file>]   (default: DATA_DIR/backups/switchboard-<time>.sqlite)';

/** What a finished backup holds. */
export interface BackupSummary {
  file: string;
  bytes: number;
  calls: number;
  users: number;
}

/**
 * `npm run backup`: a consistent copy of the embedded SQLite database, taken online with
 * SQLite's backup API (better-sqlite3's `backup()`) while the API keeps running and writing.
 * The copy is written under a temporary name, checked (`quick_check`), switched to a single
 * self-contained file (rollback journal, not WAL), made readable by its owner only (it holds
 * password hashes), and only then given its name. PostgreSQL is refused with the pg_dump
 * command to use instead.
 *
 * @returns the exit status.
 */
export async function backup(argv: string[], env: Record<string, string | undefined>, out: ToolOutput = consoleOutput): Promise<number> {
  try {
    const { values } = parseArgs({ args: argv, options: { to: { type: 'string' } }, strict: true });
    const config = loadConfig(env);
    if (config.database.dialect !== 'sqlite') {
      throw new ToolError('DATABASE_URL is set: back PostgreSQL up with pg_dump, e.g. `pg_dump --format=custom --file=switchboard.dump "$DATABASE_URL"` (see the README).');
    }
    const target = resolve(values.to ?? join(config.dataDir, 'backups', `switchboard-${new Date().toISOString().replace(/[:.]/g, '-')}.sqlite`));
    const summary = await copyDatabase(config.database.file, target);
    out.info(`Backed up ${summary.calls} calls and ${summary.users} users to ${summary.file} (${(summary.bytes / 1_048_576).toFixed(1)} MB)`);
    return 0;
  } catch (err) {
    if (err instanceof ToolError || err instanceof ConfigError) out.error(err.message);
    else if (err instanceof TypeError && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) out.error(`${err.message}\n${USAGE}`);
    else out.error(`Backup failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

/** Copies the live database file `source` to `target` (which must not exist yet). */
export async function copyDatabase(source: string, target: string): Promise<BackupSummary> {
  if (!existsSync(source)) throw new ToolError(`No database at ${source} (is DATA_DIR right?)`);
  if (existsSync(target)) throw new ToolError(`${target} exists already: choose another --to`);
  mkdirSync(dirname(target), { recursive: true });
  const partial = `${target}.partial`;
  rmSync(partial, { force: true });
  const live = new SQLite(source, { fileMustExist: true });
  try {
    live.pragma('busy_timeout = 5000');
    // After the first step, copy the rest in one step: a write by the API between steps makes
    // SQLite start the copy again, and in WAL mode one long read does not hold writers up.
    await live.backup(partial, { progress: ({ remainingPages }) => Math.max(remainingPages, 100) });
  } finally {
    live.close();
  }
  const copy = new SQLite(partial, { fileMustExist: true });
  let summary: Omit<BackupSummary, 'file' | 'bytes'>;
  try {
    copy.pragma('journal_mode = DELETE');
    const check = copy.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`the copy does not pass quick_check: ${String(check)}`);
    const count = (table: string) => (copy.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;
    summary = { calls: count('calls'), users: count('users') };
  } finally {
    copy.close();
  }
  chmodSync(partial, 0o600);
  renameSync(partial, target);
  return { ...summary, file: target, bytes: statSync(target).size };
}

if (require.main === module) {
  backup(process.argv.slice(2), process.env).then((code) => process.exit(code));
}
