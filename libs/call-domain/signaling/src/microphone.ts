import { InjectionToken } from '@angular/core';
import { MicrophoneError } from './signaling-errors';

// Also its own entry point (`@switchboard/call-domain/signaling/microphone`), without
// socket.io-client: the portal provides the token at start-up (the chosen device).

/**
 * Opens the microphone. The default asks the browser (`getUserMedia({ audio: true })`);
 * tests or a device picker may provide another source.
 */
export const MICROPHONE = new InjectionToken<() => Promise<MediaStream>>('MICROPHONE', {
  providedIn: 'root',
  factory: () => () => navigator.mediaDevices.getUserMedia({ audio: true }),
});

/** Opens the microphone with `open`, turning any refusal into a {@link MicrophoneError}. */
export async function openMicrophone(open: () => Promise<MediaStream>): Promise<MediaStream> {
  try {
    return await open();
  } catch (error) {
    throw MicrophoneError.from(error);
  }
}
