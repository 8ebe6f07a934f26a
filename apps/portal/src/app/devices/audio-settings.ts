import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { AudioDevices } from './audio-devices';
import { DeviceSelect } from './device-select';

/**
 * The microphone and speaker (the speaker only where the browser can choose one), on the
 * agent's desk and beside the student's call, remembered in this browser ({@link AudioDevices}).
 * A change applies to the next call and to the call in progress (the call facades follow the
 * chosen microphone, see `followChosenMicrophone`; the call panel and the ringtone play on the
 * chosen speaker). Names appear once the microphone was allowed.
 */
@Component({
  selector: 'sb-audio-settings',
  imports: [DeviceSelect],
  template: `
    <sb-device-select label="Microphone" [devices]="devices.microphones()" [value]="devices.microphoneId()" (chosen)="devices.chooseMicrophone($event)" />
    @if (devices.speakers().length > 0) {
      <sb-device-select label="Speaker" [devices]="devices.speakers()" [value]="devices.speakerId()" (chosen)="devices.chooseSpeaker($event)" />
    }
  `,
  styles: `
    :host {
      display: flex;
      flex-wrap: wrap;
      gap: 8px 16px;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class AudioSettings {
  protected readonly devices = inject(AudioDevices);

  constructor() {
    void this.devices.refresh();
  }
}
