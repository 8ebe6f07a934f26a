import type { CreateUserRequest } from '@switchboard/call-domain';

/** The password of every demo account (never created in production). */
export const DEMO_PASSWORD = 'switchboard';

/** The demo accounts created by `npm run seed:demo`: one student, two agents, one supervisor. */
export const DEMO_USERS: readonly CreateUserRequest[] = [
  { username: 'student', displayName: 'Sam Student', role: 'student', password: DEMO_PASSWORD },
  { username: 'agent', displayName: 'Alex Agent', role: 'agent', password: DEMO_PASSWORD },
  { username: 'agent2', displayName: 'Blake Agent', role: 'agent', password: DEMO_PASSWORD },
  { username: 'supervisor', displayName: 'Morgan Supervisor', role: 'supervisor', password: DEMO_PASSWORD },
];
