import type { AckError, ErrorCode } from '@switchboard/call-domain';

/**
 * A request the server refused (its {@link AckError}), or one it did not answer in time
 * (`code: 'internal'`, `timedOut: true`). It is an `AckError`, so screens show `message`.
 */
export class SignalingError extends Error implements AckError {
  override readonly name = 'SignalingError';
  /** The error code from the ack. */
  readonly code: ErrorCode;
  /** Whether the server did not answer in time (the request may still have been applied). */
  readonly timedOut: boolean;

  constructor(error: AckError, timedOut = false) {
    super(error.message);
    this.code = error.code;
    this.timedOut = timedOut;
  }
}

/** Why the microphone could not be used. */
export type MicrophoneFailure = 'denied' | 'not_found' | 'unavailable';

/** The microphone could not be opened; no call was placed or accepted. */
export class MicrophoneError extends Error {
  override readonly name = 'MicrophoneError';

  constructor(
    /** Why: the user or policy refused, there is no microphone, or it is busy or broken. */
    readonly reason: MicrophoneFailure,
    /** The browser's own error. */
    override readonly cause?: unknown,
  ) {
    super(MICROPHONE_MESSAGES[reason]);
  }

  /** Classifies a `getUserMedia` rejection. */
  static from(error: unknown): MicrophoneError {
    const name = error instanceof Error ? error.name : '';
    if (name === 'NotAllowedError' || name === 'SecurityError') return new MicrophoneError('denied', error);
    if (name === 'NotFoundError' || name === 'OverconstrainedError') return new MicrophoneError('not_found', error);
    return new MicrophoneError('unavailable', error);
  }
}

const MICROPHONE_MESSAGES: Readonly<Record<MicrophoneFailure, string>> = {
  denied: 'Microphone access was refused. Allow it in the browser to make or take calls.',
  not_found: 'No microphone was found.',
  unavailable: 'The microphone could not be started. It may be in use by another application.',
};
