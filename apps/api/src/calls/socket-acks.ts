import { Logger } from '@nestjs/common';
import type { z } from 'zod';
import type { Ack, AckError, ClientToServerEvents, Role, SessionUser } from '@switchboard/call-domain';
import { UNSTORABLE_TEXT_MESSAGE, findUnstorableText } from '@switchboard/call-domain/schemas';
import { ProblemException } from '../errors/problem';
import { callOfPayload, type AppSocket } from '../realtime/app-socket';

const logger = new Logger('CallGateway');

/** What a refused event acks with. */
export function refusal(code: AckError['code'], message: string): Ack<never> {
  return { ok: false, error: { code, message } };
}

/**
 * Runs one socket event to an {@link Ack}: checks the sender's role, refuses text no database
 * can store (as the HTTP side's `StorableTextPipe` does), validates the payload with `schema`, runs `work`, and turns every error into an error ack (a `ProblemException`
 * keeps its code and message; anything else is logged and answered `internal`). Never throws.
 */
export async function ackFor<S extends z.ZodType, T>(
  socket: AppSocket,
  /** The event being answered, for the log line of an unexpected failure. */
  event: keyof ClientToServerEvents,
  roles: readonly Role[],
  schema: S,
  payload: unknown,
  work: (user: SessionUser, input: z.output<S>) => Promise<T>,
): Promise<Ack<T>> {
  try {
    const user = socket.data.user;
    if (!roles.includes(user.role)) return refusal('forbidden', `Only ${roles.map((r) => `${r}s`).join(' and ')} may do this`);
    const unstorable = findUnstorableText(payload);
    if (unstorable !== null) return refusal('bad_request', `Invalid payload: ${unstorable || 'payload'}: ${UNSTORABLE_TEXT_MESSAGE}`);
    const parsed = schema.safeParse(payload);
    if (!parsed.success) {
      const findings = parsed.error.issues.map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message));
      return refusal('bad_request', `Invalid payload: ${findings.join('; ')}`);
    }
    return { ok: true, data: await work(user, parsed.data) };
  } catch (err) {
    if (err instanceof ProblemException) return refusal(err.code, err.problem.detail);
    logger.error({ msg: 'socket event failed', event, socketId: socket.id, ...callOfPayload(payload), error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    return refusal('internal', 'Something went wrong; please try again');
  }
}
