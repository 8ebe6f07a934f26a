/**
 * The one error shape of the product. HTTP answers it as `application/problem+json`
 * (RFC 9457, with `code` as an extension member); socket acks carry `{ code, message }`.
 */
export const ERROR_CODES = [
  'bad_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'payload_too_large',
  'rate_limited',
  'no_agents_available',
  'invalid_state',
  'stale_negotiation',
  'unavailable',
  'internal',
] as const;

/** A machine-readable error code; the message says it for people. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** What a refused socket event acks with, and what an HTTP problem carries in `code`. */
export interface AckError {
  code: ErrorCode;
  message: string;
}

/** Every socket event with an ack answers with this: data on success, an error otherwise. */
export type Ack<T = void> = { ok: true; data: T } | { ok: false; error: AckError };

/** An HTTP problem response body (`application/problem+json`). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  /** Field-level findings for a 400, e.g. `{ path: 'password', message: 'Required' }`. */
  errors?: { path: string; message: string }[];
}
