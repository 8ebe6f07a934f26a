import type { Kysely } from 'kysely';

/**
 * `call_media_holders`: which socket holds one side of a call's media (the room of that side,
 * e.g. `call:<id>:agent`), claimed by compare-and-set when a page takes a call up again, so two
 * pages of the same user on two nodes cannot both take it at the same moment. Only takings-up
 * write it: the tab that placed or accepted the call holds it by being in the room.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('call_media_holders')
    .addColumn('call_id', 'text', (c) => c.notNull().references('calls.id').onDelete('cascade'))
    .addColumn('room', 'text', (c) => c.notNull())
    .addColumn('socket_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('call_media_holders_pk', ['call_id', 'room'])
    .execute();
}

/** Drops the table (the rooms alone say who holds a call, as before). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('call_media_holders').execute();
}
