/** The three kinds of user; each has its own portal page and its own rights in the API. */
export const ROLES = ['student', 'agent', 'supervisor'] as const;

/** A user's role. */
export type Role = (typeof ROLES)[number];

/** The page each role lands on after sign-in. */
export const HOME_BY_ROLE: Readonly<Record<Role, string>> = {
  student: '/help',
  agent: '/agent',
  supervisor: '/supervisor',
};

/** The signed-in user as the API describes them (never includes secrets). */
export interface SessionUser {
  id: string;
  username: string;
  role: Role;
  displayName: string;
}

/** Body of `POST /api/auth/login`. */
export interface LoginRequest {
  username: string;
  password: string;
}

/** Answer of `POST /api/auth/login`: a short-lived JWT and who it belongs to. */
export interface LoginResponse {
  accessToken: string;
  user: SessionUser;
}

/** Claims carried by an access token. */
export interface AccessTokenClaims {
  /** The user's id. */
  sub: string;
  username: string;
  role: Role;
  displayName: string;
  /** The sign-in session: signing out ends it, and the token with it, on every node. */
  sid: string;
}

/** Body of `POST /api/users` (supervisors only): a new account. */
export interface CreateUserRequest {
  username: string;
  displayName: string;
  role: Role;
  password: string;
}
