import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import type { Problem } from '@switchboard/call-domain';
import { PROBLEM_CONTENT_TYPE, ProblemException, codeForStatus, problem } from './problem';

/** What Express's body parser attaches to the errors it raises (`type` is missing on a decompression error). */
interface BodyParserError {
  type?: string;
  status: number;
  message: string;
}

const BODY_PARSER_DETAILS: Record<string, string> = {
  'entity.parse.failed': 'The request body is not valid JSON',
  'entity.too.large': 'The request body is larger than 64 KB',
  'encoding.unsupported': 'The request body has an unsupported encoding',
  'charset.unsupported': 'The request body has an unsupported charset',
};

/**
 * The body parser's answer when a body cannot be inflated as its Content-Encoding says (gzip
 * that is not gzip, truncated deflate…): zlib's error with status 400 and no `type`.
 */
const UNDECODABLE_BODY = 'The request body could not be decompressed as its Content-Encoding says';

/** Whether `err` is an error the body parser raised (a 4xx for the client, or a 5xx of its own). */
export function isBodyParserError(err: unknown): err is BodyParserError {
  if (!(err instanceof Error)) return false;
  const { type, status } = err as Partial<BodyParserError>;
  return typeof status === 'number' && (typeof type === 'string' || (status === 400 && 'expose' in err));
}

/** Turns anything thrown while answering HTTP into the product's one error shape. */
export function toProblem(err: unknown): Problem {
  if (err instanceof ProblemException) return err.problem;
  if (err instanceof HttpException) {
    const status = err.getStatus();
    return problem(status, codeForStatus(status), describe(err.getResponse(), err.message));
  }
  if (isBodyParserError(err) && err.status >= 400 && err.status < 500) {
    const detail = err.type === undefined ? UNDECODABLE_BODY : (BODY_PARSER_DETAILS[err.type] ?? 'The request body could not be read');
    return problem(err.status, codeForStatus(err.status), detail);
  }
  return problem(500, 'internal', 'Something went wrong on our side; please try again');
}

function describe(response: string | object, fallback: string): string {
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : fallback;
}

/** Writes `body` as the answer, unless an answer has already started. */
export function sendProblem(res: Response, body: Problem): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.status(body.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}

/**
 * The global exception filter: every HTTP error leaves as `application/problem+json`.
 * Unexpected errors are logged with their stack and answered as a 500 without details.
 * Socket events do not pass through here: gateways answer with an `Ack` error instead.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  /** Writes the problem answer (or logs, if the answer has already started). */
  catch(err: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') {
      this.logger.error(`Unhandled ${host.getType()} error: ${String(err)}`, err instanceof Error ? err.stack : undefined);
      return;
    }
    const body = toProblem(err);
    if (body.status >= 500) this.logger.error(`Unhandled error: ${String(err)}`, err instanceof Error ? err.stack : undefined);
    sendProblem(host.switchToHttp().getResponse<Response>(), body);
  }
}
