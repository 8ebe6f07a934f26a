import { callRefSchema, candidateMessageSchema, liveCallQuerySchema, MAX_SDP_LENGTH, offerMessageSchema, requestCallSchema, wrapUpSchema } from './call.schemas';

const callId = '0b5e9a3c-2f6e-4a53-9d1e-5d3f0c7b9a11';
const messageId = '6f1c2b7e-8d4a-4e0f-b2a1-3c9d8e7f6a50';

describe('call payload schemas', () => {
  it('accept a call reference with a UUID and nothing else', () => {
    expect(callRefSchema.safeParse({ callId }).success).toBeTrue();
    expect(callRefSchema.safeParse({ callId: 'call-1' }).success).toBeFalse();
    expect(callRefSchema.safeParse({ callId, extra: 1 }).success).toBeFalse();
    expect(callRefSchema.safeParse(null).success).toBeFalse();
  });

  it('treat a missing requestCall payload as empty', () => {
    expect(requestCallSchema.safeParse(undefined).success).toBeTrue();
    expect(requestCallSchema.safeParse({ queue: 'x' }).success).toBeFalse();
  });

  it('take getLiveCall with nothing, an empty object or callbacks: true, and nothing else', () => {
    for (const query of [undefined, {}, { callbacks: true }]) expect(liveCallQuerySchema.safeParse(query).success).withContext(JSON.stringify(query)).toBeTrue();
    for (const query of [{ callbacks: false }, { callbacks: 'yes' }, { other: 1 }]) expect(liveCallQuerySchema.safeParse(query).success).withContext(JSON.stringify(query)).toBeFalse();
  });

  it('accept an offer up to 64 KB of SDP and refuse more', () => {
    const offer = (sdp: string) => ({ callId, messageId, description: { type: 'offer', sdp } });
    expect(offerMessageSchema.safeParse(offer('v=0\r\n')).success).toBeTrue();
    expect(offerMessageSchema.safeParse(offer('x'.repeat(MAX_SDP_LENGTH))).success).toBeTrue();
    expect(offerMessageSchema.safeParse(offer('x'.repeat(MAX_SDP_LENGTH + 1))).success).toBeFalse();
    expect(offerMessageSchema.safeParse({ callId, messageId, description: { type: 'answer', sdp: 'v=0' } }).success).toBeFalse();
    expect(offerMessageSchema.safeParse({ ...offer('v=0'), messageId: 'not-a-uuid' }).success).toBeFalse();
  });

  it('accept a browser candidate, filling missing mid and index with null', () => {
    const parsed = candidateMessageSchema.parse({ callId, messageId, candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host' } });
    expect(parsed.candidate).toEqual({ candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: null, sdpMLineIndex: null });
    expect(candidateMessageSchema.safeParse({ callId, messageId, candidate: { candidate: 'x'.repeat(5000) } }).success).toBeFalse();
    expect(candidateMessageSchema.safeParse({ callId, messageId, candidate: { candidate: '', sdpMLineIndex: -1 } }).success).toBeFalse();
  });

  it('require a disposition at wrap-up and default the notes', () => {
    expect(wrapUpSchema.parse({ callId, disposition: ' Resolved ' })).toEqual({ callId, disposition: 'Resolved', notes: '' });
    expect(wrapUpSchema.safeParse({ callId, disposition: '' }).success).toBeFalse();
  });
});
