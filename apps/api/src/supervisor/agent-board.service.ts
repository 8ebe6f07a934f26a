import { Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import type { AgentBoardEntry } from '@switchboard/call-domain';
import { InjectDatabase } from '../database/database.module';
import type { Database } from '../database/schema';
import { latestSample } from '../calls/call-quality.service';

/** Every agent account with its presence, for the supervisor's board. */
@Injectable()
export class AgentBoardService {
  constructor(@InjectDatabase() private readonly db: Kysely<Database>) {}

  /** All agents by display name; one who never connected is Offline with no `since`; an agent on a call with its latest quality sample. */
  async list(now = new Date()): Promise<AgentBoardEntry[]> {
    const rows = await this.db
      .selectFrom('users')
      .leftJoin('agent_presence', 'agent_presence.agent_id', 'users.id')
      .leftJoin('call_quality', (join) => join.onRef('call_quality.call_id', '=', 'agent_presence.call_id').on('agent_presence.state', '=', 'on_call'))
      .select(['call_quality.latest_at', 'call_quality.latest_sample'])
      .select(['users.id', 'users.username', 'users.display_name', 'agent_presence.state', 'agent_presence.since', 'agent_presence.connected', 'agent_presence.call_id', 'agent_presence.wrap_up_ends_at'])
      .where('users.role', '=', 'agent')
      .orderBy('users.display_name')
      .orderBy('users.id')
      .execute();
    return rows.map((r) => ({
      agentId: r.id,
      username: r.username,
      displayName: r.display_name,
      state: r.state ?? 'offline',
      since: r.since,
      secondsInState: r.since === null ? null : Math.max(0, (now.getTime() - Date.parse(r.since)) / 1000),
      connected: Number(r.connected ?? 0) === 1,
      callId: r.call_id,
      wrapUpEndsAt: r.wrap_up_ends_at,
      callQuality: r.latest_at !== null && r.latest_sample !== null ? latestSample({ latest_at: r.latest_at, latest_sample: r.latest_sample }) : null,
    }));
  }
}
