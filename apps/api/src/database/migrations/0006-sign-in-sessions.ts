import type { Kysely } from 'kysely';

/**
 * Sign-in sessions (auth/session-store.ts): one row per sign-in, named by the access token's
 * `sid` claim. A token is honoured only while its row is open (`ended_at` null), so signing
 * out — or a supervisor signing a user out everywhere — ends it on every node at once. Rows
 * are kept until their token would have expired anyway, then deleted at a later sign-in.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sign_in_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('ended_at', 'text')
    .execute();
  await db.schema.createIndex('sign_in_sessions_user_idx').on('sign_in_sessions').columns(['user_id', 'expires_at']).execute();
}

/** Drops what {@link up} added. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('sign_in_sessions').execute();
}
