import { HttpException } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { ErrorCode, Problem } from '@switchboard/call-domain';

/** The media type of every HTTP error answer. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The HTTP status each error code is answered with. */
export const STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  // Bad input is a 400 (issue #2), an oversized body included.
  payload_too_large: 400,
  rate_limited: 429,
  no_agents_available: 409,
  invalid_state: 409,
  stale_negotiation: 409,
  // This node cannot serve it now (not ready, or draining before it stops): another node can.
  unavailable: 503,
  internal: 500,
};

/** The error code for an HTTP status that was raised without one (by Nest or Express). */
export function codeForStatus(status: number): ErrorCode {
  const found = (Object.keys(STATUS_BY_CODE) as ErrorCode[]).find(
    (code) => STATUS_BY_CODE[code] === status && code !== 'no_agents_available' && code !== 'invalid_state' && code !== 'stale_negotiation',
  );
  return found ?? (status >= 500 ? 'internal' : 'bad_request');
}

/** Builds a {@link Problem} body (RFC 9457 `about:blank` type: the title is the status text). */
export function problem(status: number, code: ErrorCode, detail: string, errors?: Problem['errors']): Problem {
  return {
    type: 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    code,
    ...(errors?.length ? { errors } : {}),
  };
}

/**
 * An error the API answers on purpose: services and pipes throw it, the global
 * `ProblemFilter` writes it as `application/problem+json`.
 *
 * @example throw new ProblemException('conflict', 'That username is taken');
 */
export class ProblemException extends HttpException {
  constructor(
    readonly code: ErrorCode,
    detail: string,
    errors?: Problem['errors'],
    status: number = STATUS_BY_CODE[code],
  ) {
    super(problem(status, code, detail, errors), status);
  }

  /** The body to send. */
  get problem(): Problem {
    return this.getResponse() as Problem;
  }
}
