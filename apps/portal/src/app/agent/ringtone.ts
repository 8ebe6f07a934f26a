import { Injectable, inject } from '@angular/core';
import { AudioDevices } from '../devices/audio-devices';

/** Ring pattern: both tones on for this long… */
const RING_ON_S = 2;
/** …in every cycle of this length (the classic 2 s on, 4 s off). */
const RING_CYCLE_MS = 6_000;
/** The two tones mixed in each ring (Hz). */
const RING_TONES = [440, 480];

/**
 * The incoming-call ringtone, made with Web Audio oscillators (no audio file to load).
 * Browsers start an `AudioContext` only after a user gesture, so the agent page calls
 * {@link Ringtone.unlock} in the click on Available: by the time a call rings, audio is allowed.
 * It rings on the speaker chosen in {@link AudioDevices} where the browser can choose one.
 */
@Injectable({ providedIn: 'root' })
export class Ringtone {
  private readonly devices = inject(AudioDevices);
  private context: AudioContext | null = null;

  /** Creates or resumes the audio context; call it from a click handler. */
  unlock(): void {
    this.context ??= new AudioContext();
    if (this.context.state === 'suspended') void this.context.resume();
  }

  /** Starts ringing; returns the function that stops it (safe to call twice). */
  start(): () => void {
    this.unlock();
    const context = this.context as AudioContext & { setSinkId?: (sinkId: string) => Promise<void>; sinkId?: unknown };
    const sinkId = this.devices.speakerId();
    // A speaker that cannot be used leaves the ringtone where it plays.
    if (context.setSinkId && context.sinkId !== sinkId) context.setSinkId(sinkId).catch(() => undefined);
    const volume = context.createGain();
    volume.gain.value = 0;
    volume.connect(context.destination);
    const oscillators = RING_TONES.map((frequency) => {
      const oscillator = context.createOscillator();
      oscillator.frequency.value = frequency;
      oscillator.connect(volume);
      oscillator.start();
      return oscillator;
    });
    const ring = (): void => {
      const now = context.currentTime;
      volume.gain.setValueAtTime(0.1, now);
      volume.gain.setValueAtTime(0, now + RING_ON_S);
    };
    ring();
    const cycle = setInterval(ring, RING_CYCLE_MS);
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      clearInterval(cycle);
      for (const oscillator of oscillators) oscillator.stop();
      volume.disconnect();
    };
  }
}
