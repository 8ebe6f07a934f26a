import { sql, type Kysely } from 'kysely';
import { ROLES } from '@switchboard/call-domain';

/** Accounts: one row per user, usernames unique and stored lower-case. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const roles = sql.join(ROLES.map((r) => sql.lit(r)));
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('username', 'text', (c) => c.notNull().unique().check(sql`username = lower(username)`))
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in (${roles})`))
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('users_role_idx').on('users').column('role').execute();
}

/** Drops the accounts table. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('users').execute();
}
