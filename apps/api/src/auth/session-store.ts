import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PostgresAdapter, type Kysely } from 'kysely';
import type { AppConfig } from '../config/config';
import { InjectConfig } from '../config/config.module';
import { InjectDatabase } from '../database/database.module';
import { runPrepared, runUnreadTogether, type UnreadWrite } from '../database/prepared-queries';
import type { Database } from '../database/schema';

/**
 * Sign-in sessions in the database (`sign_in_sessions`), so every node agrees on which
 * access tokens still count: a token names its session in the `sid` claim and is honoured
 * only while that session is open. Signing out ends one session; signing a user out
 * everywhere ends all of theirs. One primary-key read per check.
 */
@Injectable()
export class SessionStore {
  constructor(
    @InjectDatabase() private readonly db: Kysely<Database>,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /**
   * Opens a session for `userId`, lasting as long as an access token (ACCESS_TOKEN_TTL), and
   * returns its id. The user's sessions whose tokens have expired are deleted on the way: on
   * PostgreSQL in the same statement (one round trip per sign-in), on SQLite in one transaction.
   */
  async open(userId: string): Promise<string> {
    const now = new Date();
    const id = randomUUID();
    const expiresAt = new Date(now.getTime() + this.config.accessTokenTtlSeconds * 1000).toISOString();
    const writes = (db: Kysely<Database>): UnreadWrite[] => [
      {
        key: 'sessions.deleteExpired',
        values: [userId, now.toISOString()],
        build: ([user, at]) => db.deleteFrom('sign_in_sessions').where('user_id', '=', user as string).where('expires_at', '<', at as string),
      },
      {
        key: 'sessions.open',
        values: [id, userId, now.toISOString(), expiresAt, null],
        build: ([session, user, createdAt, expires, endedAt]) =>
          db.insertInto('sign_in_sessions').values({ id: session as string, user_id: user as string, created_at: createdAt as string, expires_at: expires as string, ended_at: endedAt as null }),
      },
    ];
    if (this.db.getExecutor().adapter instanceof PostgresAdapter) await runUnreadTogether(this.db, writes(this.db));
    else await this.db.transaction().execute((tx) => runUnreadTogether(tx, writes(tx)));
    return id;
  }

  /** Whether the session `sessionId` of `userId` exists and has not been ended. */
  async isOpen(sessionId: string, userId: string): Promise<boolean> {
    // Checked on every socket handshake and on the events that need a live session: prepared.
    const { rows } = await runPrepared(this.db, 'sessions.isOpen', [sessionId, userId], ([id, user]) =>
      this.db
        .selectFrom('sign_in_sessions')
        .select('ended_at')
        .where('id', '=', id as string)
        .where('user_id', '=', user as string),
    );
    return rows.length > 0 && rows[0].ended_at === null;
  }

  /** Ends one session (signing out); ending it again changes nothing. */
  async end(sessionId: string): Promise<void> {
    await this.db.updateTable('sign_in_sessions').set({ ended_at: new Date().toISOString() }).where('id', '=', sessionId).where('ended_at', 'is', null).execute();
  }

  /** Ends every open session of `userId` (signed out everywhere); returns the ids of those that were open. */
  async endAllOf(userId: string): Promise<string[]> {
    const rows = await this.db
      .updateTable('sign_in_sessions')
      .set({ ended_at: new Date().toISOString() })
      .where('user_id', '=', userId)
      .where('ended_at', 'is', null)
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
  }
}
