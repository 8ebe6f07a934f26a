import { inject } from '@angular/core';
import { takeUntilDestroyed, toObservable } from '@angular/core/rxjs-interop';
import { type CallSession, MICROPHONE, openMicrophone } from '@switchboard/call-domain/signaling';
import { distinctUntilChanged, skip } from 'rxjs';
import { AudioDevices } from './audio-devices';

/**
 * Makes the call in progress follow the microphone chosen in {@link AudioDevices} (the
 * device choices of the agent's desk or the student's call panel): when another one is
 * chosen, or the chosen one comes back, `session()` sends it at once — its track replaces the
 * one on the same peer connection (no new negotiation) and keeps the muted state (see
 * `CallSession.replaceMicrophone`). A microphone that cannot be opened leaves the call on the
 * one it has and is reported to `failed`. Call in an injection context (a call facade's
 * constructor); it stops when that context is destroyed.
 */
export function followChosenMicrophone(session: () => CallSession | null, failed: (error: unknown) => void): void {
  const devices = inject(AudioDevices);
  const microphone = inject(MICROPHONE);
  toObservable(devices.microphoneId)
    .pipe(skip(1), distinctUntilChanged(), takeUntilDestroyed())
    .subscribe(() => {
      const current = session();
      if (!current || current.state() === 'ended' || current.state() === 'failed') return;
      openMicrophone(microphone)
        .then((stream) => current.replaceMicrophone(stream))
        .catch(failed);
    });
}
