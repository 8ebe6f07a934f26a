import type { Migration, MigrationProvider } from 'kysely';
import * as users0001 from './0001-users';
import * as calls0002 from './0002-calls';
import * as supervisorIndexes0003 from './0003-supervisor-indexes';
import * as callIntegrity0004 from './0004-call-integrity';
import * as callLedger0005 from './0005-call-ledger';
import * as signInSessions0006 from './0006-sign-in-sessions';
import * as nodeLiveness0007 from './0007-node-liveness';
import * as callEventReconnections0008 from './0008-call-event-reconnections';
import * as callQuality0009 from './0009-call-quality';
import * as callHistorySearch0011 from './0011-call-history-search';
import * as callbacks0012 from './0012-callbacks';
import * as callRollups0013 from './0013-call-rollups';
import * as callQualityWarnings0014 from './0014-call-quality-warnings';
import * as retentionRunStatus0015 from './0015-retention-run-status';
import * as callerSearch0016 from './0016-caller-search';
import * as callMediaHolders0017 from './0017-call-media-holders';
import * as callSortIndexes0018 from './0018-call-sort-indexes';
import * as callPoorQuality0019 from './0019-call-poor-quality';
import * as callerSortColumns0020 from './0020-caller-sort-columns';
import * as callerEndedSortIndexes0021 from './0021-caller-ended-sort-indexes';
import * as fewerCallIndexWrites0022 from './0022-fewer-call-index-writes';
import * as sqliteEndedSortIndexes0023 from './0023-sqlite-ended-sort-indexes';
import * as sqliteClusteredLogs0024 from './0024-sqlite-clustered-logs';
import * as agentRoutingIndex0025 from './0025-agent-routing-index';
import * as missedOfferIndex0026 from './0026-missed-offer-index';
import * as vocabularyDomains0027 from './0027-vocabulary-domains';
import * as liveCallIndexes0028 from './0028-live-call-indexes';
import * as sqliteSortFiling0029 from './0029-sqlite-sort-filing';

/**
 * Every migration, in order. The key is the migration's name as recorded in
 * `kysely_migration`: never rename or edit a migration that has shipped, add the next one
 * (`0002-calls.ts` exporting `up`/`down`) and list it here. Keys sort alphabetically, so keep
 * the four-digit prefix. Kysely's Migrator runs the pending ones in one transaction on both
 * databases (see `SwitchboardSqliteDialect`), so a migration opens no transaction of its
 * own (Kysely refuses one inside another) and runs nothing that cannot run in one (SQLite's
 * `pragma foreign_keys`, `vacuum`; PostgreSQL's `create index concurrently`).
 */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001-users': users0001,
  '0002-calls': calls0002,
  '0003-supervisor-indexes': supervisorIndexes0003,
  '0004-call-integrity': callIntegrity0004,
  '0005-call-ledger': callLedger0005,
  '0006-sign-in-sessions': signInSessions0006,
  '0007-node-liveness': nodeLiveness0007,
  '0008-call-event-reconnections': callEventReconnections0008,
  '0009-call-quality': callQuality0009,
  '0011-call-history-search': callHistorySearch0011,
  '0012-callbacks': callbacks0012,
  '0013-call-rollups': callRollups0013,
  '0014-call-quality-warnings': callQualityWarnings0014,
  '0015-retention-run-status': retentionRunStatus0015,
  '0016-caller-search': callerSearch0016,
  '0017-call-media-holders': callMediaHolders0017,
  '0018-call-sort-indexes': callSortIndexes0018,
  '0019-call-poor-quality': callPoorQuality0019,
  '0020-caller-sort-columns': callerSortColumns0020,
  '0021-caller-ended-sort-indexes': callerEndedSortIndexes0021,
  '0022-fewer-call-index-writes': fewerCallIndexWrites0022,
  '0023-sqlite-ended-sort-indexes': sqliteEndedSortIndexes0023,
  '0024-sqlite-clustered-logs': sqliteClusteredLogs0024,
  '0025-agent-routing-index': agentRoutingIndex0025,
  '0026-missed-offer-index': missedOfferIndex0026,
  '0027-vocabulary-domains': vocabularyDomains0027,
  '0028-live-call-indexes': liveCallIndexes0028,
  '0029-sqlite-sort-filing': sqliteSortFiling0029,
};

/**
 * Hands Kysely's Migrator the migrations compiled into the API (no directory scanning, so the
 * same list runs from sources, from dist, and in tests).
 */
export class StaticMigrationProvider implements MigrationProvider {
  /** Lists {@link MIGRATIONS}. */
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve({ ...MIGRATIONS });
  }
}
