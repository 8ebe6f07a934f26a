import { DestroyRef, Injectable, computed, inject, signal } from '@angular/core';

/** Where the browser remembers the chosen microphone (`localStorage`, its `deviceId`). */
export const MICROPHONE_CHOICE_KEY = 'switchboard.devices.microphone';
/** Where the browser remembers the chosen speaker (`localStorage`, its `deviceId`). */
export const SPEAKER_CHOICE_KEY = 'switchboard.devices.speaker';

/** One microphone or speaker the browser lists. */
export interface AudioDevice {
  readonly deviceId: string;
  /** The browser's name for it, or "Microphone 2" while the browser hides names (no permission yet). */
  readonly label: string;
}

/**
 * The microphones and speakers of this browser and the ones chosen, remembered per browser
 * (`localStorage`). A remembered device that is gone (unplugged, another machine profile) is
 * not an error: the browser's default is used until it comes back, and the choice is kept.
 * Device ids are per site and browser profile, so nothing here leaves the browser.
 *
 * Calls open the chosen microphone through {@link openMicrophone} (the portal provides it as
 * the signaling library's `MICROPHONE`); the call panel and the ringtone play on the chosen
 * speaker with `setSinkId`, where the browser has it.
 */
@Injectable({ providedIn: 'root' })
export class AudioDevices {
  private readonly listed = signal<{ microphones: AudioDevice[]; speakers: AudioDevice[] } | null>(null);
  private readonly chosenMicrophone = signal(recall(MICROPHONE_CHOICE_KEY));
  private readonly chosenSpeaker = signal(recall(SPEAKER_CHOICE_KEY));

  /** The microphones, once listed (see {@link refresh}). */
  readonly microphones = computed(() => this.listed()?.microphones ?? []);
  /** The speakers, once listed; empty where the browser cannot choose one. */
  readonly speakers = computed(() => (SPEAKERS_SELECTABLE ? (this.listed()?.speakers ?? []) : []));
  /** The microphone calls use: the chosen one while it is there, '' for the browser's default. */
  readonly microphoneId = computed(() => present(this.chosenMicrophone(), this.listed()?.microphones));
  /** The speaker calls play on: the chosen one while it is there, '' for the browser's default. */
  readonly speakerId = computed(() => present(this.chosenSpeaker(), this.listed()?.speakers));

  constructor() {
    const devices = navigator.mediaDevices;
    if (!devices) return;
    const changed = (): void => void this.refresh();
    devices.addEventListener('devicechange', changed);
    inject(DestroyRef).onDestroy(() => devices.removeEventListener('devicechange', changed));
  }

  /** Lists the devices again (names appear once the microphone was allowed). */
  async refresh(): Promise<void> {
    let all: MediaDeviceInfo[];
    try {
      all = await navigator.mediaDevices.enumerateDevices();
    } catch {
      return; // No media devices here (an insecure page): the defaults are used.
    }
    const of = (kind: MediaDeviceKind, name: string): AudioDevice[] =>
      all.filter((d) => d.kind === kind && d.deviceId).map((d, i) => ({ deviceId: d.deviceId, label: d.label || `${name} ${i + 1}` }));
    this.listed.set({ microphones: of('audioinput', 'Microphone'), speakers: of('audiooutput', 'Speaker') });
  }

  /** Chooses the microphone for the next calls and remembers it in this browser. */
  chooseMicrophone(deviceId: string): void {
    this.chosenMicrophone.set(deviceId);
    remember(MICROPHONE_CHOICE_KEY, deviceId);
  }

  /** Chooses the speaker and remembers it in this browser. */
  chooseSpeaker(deviceId: string): void {
    this.chosenSpeaker.set(deviceId);
    remember(SPEAKER_CHOICE_KEY, deviceId);
  }

  /**
   * Opens a microphone: `deviceId`, else the chosen one. A device that is gone or refuses
   * its constraint falls back to the browser's default; a refusal of permission is thrown
   * as it came. Lists the devices again afterwards, since names appear with the permission.
   */
  async openMicrophone(deviceId = this.microphoneId()): Promise<MediaStream> {
    let stream: MediaStream | null = null;
    if (deviceId) {
      try {
        stream = await navigator.mediaDevices.getUserMedia({ audio: { deviceId: { exact: deviceId } } });
      } catch (error) {
        if (!(error instanceof DOMException) || (error.name !== 'OverconstrainedError' && error.name !== 'NotFoundError')) throw error;
      }
    }
    stream ??= await navigator.mediaDevices.getUserMedia({ audio: true });
    await this.refresh();
    return stream;
  }
}

/** Whether this browser can play audio on a chosen speaker (`HTMLMediaElement.setSinkId`). */
export const SPEAKERS_SELECTABLE = typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;

/** `chosen` while the list (once known) has it; '' (the default) otherwise. */
function present(chosen: string, list: AudioDevice[] | undefined): string {
  if (!chosen) return '';
  return !list || list.some((d) => d.deviceId === chosen) ? chosen : '';
}

function recall(key: string): string {
  try {
    return localStorage.getItem(key) ?? '';
  } catch {
    return '';
  }
}

function remember(key: string, deviceId: string): void {
  try {
    if (deviceId) localStorage.setItem(key, deviceId);
    else localStorage.removeItem(key);
  } catch {
    // Storage unavailable: the choice lasts as long as the page.
  }
}
