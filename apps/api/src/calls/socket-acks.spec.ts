import { Logger } from '@nestjs/common';
import { callRefSchema } from '@switchboard/call-domain/schemas';
import type { AppSocket } from '../realtime/app-socket';
import { ProblemException } from '../errors/problem';
import { ackFor } from './socket-acks';

describe('ackFor', () => {
  // What ackFor reads of a socket: its id and the user its handshake proved.
  const socket = { id: 'socket-1', data: { user: { id: 'agent-1', role: 'agent', displayName: 'Alex' } } } as unknown as AppSocket;
  const callId = '2f8e9c1a-0000-4000-8000-000000000001';

  it('answers an unexpected failure with internal, and logs it naming the event, the socket and the call', async () => {
    const errors = spyOn(Logger.prototype, 'error');
    const ack = await ackFor(socket, 'hangUp', ['agent'], callRefSchema, { callId }, () => Promise.reject(new Error('disk full')));
    expect(ack).toEqual({ ok: false, error: { code: 'internal', message: jasmine.any(String) } });
    expect(errors).toHaveBeenCalledOnceWith(jasmine.objectContaining({ msg: 'socket event failed', event: 'hangUp', socketId: 'socket-1', callId, error: jasmine.stringMatching(/disk full/) }));
  });

  it('answers a refusal with its code and logs nothing', async () => {
    const errors = spyOn(Logger.prototype, 'error');
    const ack = await ackFor(socket, 'hangUp', ['agent'], callRefSchema, { callId }, () => Promise.reject(new ProblemException('invalid_state', 'The call has ended')));
    expect(ack).toEqual({ ok: false, error: { code: 'invalid_state', message: 'The call has ended' } });
    expect(errors).not.toHaveBeenCalled();
  });
});
