import { z } from 'zod';

/** `POST /api/agents/:id/state` body: the state a supervisor puts an agent in (Away or Offline). */
export const supervisorAgentStateSchema = z.object({ state: z.enum(['away', 'offline']) }).strict();

/** See {@link supervisorAgentStateSchema}. */
export type SupervisorAgentState = z.output<typeof supervisorAgentStateSchema>;
