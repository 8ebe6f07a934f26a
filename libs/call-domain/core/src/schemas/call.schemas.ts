import { z } from 'zod';

/** Largest SDP accepted in an offer or answer: 64 KB. */
export const MAX_SDP_LENGTH = 64 * 1024;
/** Largest ICE candidate line accepted. */
export const MAX_CANDIDATE_LENGTH = 2048;
/** Longest wrap-up notes accepted. */
export const MAX_NOTES_LENGTH = 2000;
/** Longest callback note accepted. */
export const MAX_CALLBACK_NOTE_LENGTH = 500;

/** A call's id: a UUID chosen by the API. */
export const callIdSchema = z.uuid('callId must be a UUID');
/** A signaling message's id: a UUID chosen by its sender. */
export const messageIdSchema = z.uuid('messageId must be a UUID');
/** A negotiation's id: a UUID chosen by the party that makes its offer (optional: the current one). */
export const negotiationIdSchema = z.uuid('negotiationId must be a UUID').optional();

/** `requestCall`: nothing to say (a missing payload counts as `{}`). */
export const requestCallSchema = z.preprocess((v) => v ?? {}, z.object({}).strict());

/**
 * `getLiveCall`: `callbacks: true` when the page can take up an agent's callback (it offers the
 * media itself, see `LiveCall.direction`); pages from before callbacks could be resumed send
 * nothing and are not given one, which they would take for an inbound call.
 */
export const liveCallQuerySchema = z.preprocess((v) => v ?? {}, z.object({ callbacks: z.literal(true).optional() }).strict());

/** `cancelCall`, `acceptCall`, `declineCall`, `hangUp`: one call. */
export const callRefSchema = z.object({ callId: callIdSchema }).strict();

const sdpSchema = z.string().min(1, 'sdp is required').max(MAX_SDP_LENGTH, `sdp must be at most ${MAX_SDP_LENGTH} characters`);

/** `sendOffer`: the caller's SDP offer. */
export const offerMessageSchema = z
  .object({
    callId: callIdSchema,
    messageId: messageIdSchema,
    negotiationId: negotiationIdSchema,
    reason: z.enum(['ice_restart', 'resume']).optional(),
    earlyMedia: z.literal(true).optional(),
    description: z.object({ type: z.literal('offer'), sdp: sdpSchema }).strict(),
  })
  .strict();

/** `sendAnswer`: the agent's SDP answer. */
export const answerMessageSchema = z
  .object({
    callId: callIdSchema,
    messageId: messageIdSchema,
    negotiationId: negotiationIdSchema,
    provisional: z.literal(true).optional(),
    description: z.object({ type: z.literal('answer'), sdp: sdpSchema }).strict(),
  })
  .strict();

/**
 * `acceptCall`: one call and, optionally, the agent's SDP answer to its held offer (made while
 * it rang), handled as a `sendAnswer` of that call once the accept is committed.
 */
export const acceptCallSchema = z
  .object({ callId: callIdSchema, answer: answerMessageSchema.optional() })
  .strict()
  .refine((accept) => accept.answer === undefined || accept.answer.callId === accept.callId, { message: 'answer.callId must be the call accepted', path: ['answer', 'callId'] });

/** An ICE candidate as `RTCIceCandidate.toJSON()` gives it (an empty line ends gathering). */
export const iceCandidateSchema = z
  .object({
    candidate: z.string().max(MAX_CANDIDATE_LENGTH),
    sdpMid: z.string().max(64).nullable().default(null),
    sdpMLineIndex: z.number().int().min(0).max(255).nullable().default(null),
    usernameFragment: z.string().max(256).nullable().optional(),
  })
  .strict();

/** `sendCandidate`: one trickled ICE candidate. */
export const candidateMessageSchema = z
  .object({ callId: callIdSchema, messageId: messageIdSchema, negotiationId: negotiationIdSchema, candidate: iceCandidateSchema })
  .strict();

/** `reportMedia`: media connected or failed in the sender's browser. */
export const mediaReportSchema = z.object({ callId: callIdSchema, state: z.enum(['connected', 'failed']) }).strict();

/** `setAvailability`: Available or Away. */
export const setAvailabilitySchema = z.object({ state: z.enum(['available', 'away']) }).strict();

/** `completeWrapUp`: a disposition (checked against the configured list by the API) and notes. */
export const wrapUpSchema = z
  .object({
    callId: callIdSchema,
    disposition: z.string().trim().min(1, 'disposition is required').max(80),
    notes: z.string().max(MAX_NOTES_LENGTH, `notes must be at most ${MAX_NOTES_LENGTH} characters`).default(''),
  })
  .strict();

/** `requestCallback`: the ended call and a note. */
export const callbackRequestSchema = z
  .object({
    callId: callIdSchema,
    name: z.string().trim().min(1).max(80).optional(),
    note: z.string().trim().max(MAX_CALLBACK_NOTE_LENGTH, `note must be at most ${MAX_CALLBACK_NOTE_LENGTH} characters`).default(''),
  })
  .strict();

/** `reportQuality`: one party's latest quality sample (bounded figures; the server recomputes the MOS). */
export const qualityReportSchema = z
  .object({
    callId: callIdSchema,
    rttMs: z.number().finite().min(0).max(60_000).nullable(),
    jitterMs: z.number().finite().min(0).max(60_000),
    lossPercent: z.number().finite().min(0).max(100),
    mos: z.number().finite().min(1).max(5).optional(),
  })
  .strict();

/** `placeCallback`: the callback request to call back about. */
export const placeCallbackSchema = z.object({ callbackId: z.uuid('callbackId must be a UUID') }).strict();

/** `POST /api/callbacks/:id/attempts`: what the agent tried and what happened (required). */
export const callbackAttemptSchema = z
  .object({
    note: z.string().trim().min(1, 'note is required').max(MAX_CALLBACK_NOTE_LENGTH, `note must be at most ${MAX_CALLBACK_NOTE_LENGTH} characters`),
  })
  .strict();
