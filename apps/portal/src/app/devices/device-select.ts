import { ChangeDetectionStrategy, Component, input, output } from '@angular/core';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatSelectModule } from '@angular/material/select';
import type { AudioDevice } from './audio-devices';

/**
 * A choice of one audio device (`label`: "Microphone", "Speaker"): the browser's default
 * first, then every device listed. Emits the chosen `deviceId` ('' for the default).
 */
@Component({
  selector: 'sb-device-select',
  imports: [MatFormFieldModule, MatSelectModule],
  template: `
    <mat-form-field subscriptSizing="dynamic">
      <mat-label>{{ label() }}</mat-label>
      <mat-select [value]="value()" (selectionChange)="chosen.emit($event.value)">
        <mat-option value="">Browser default</mat-option>
        @for (device of devices(); track device.deviceId) {
          @if (device.deviceId !== 'default') {
            <mat-option [value]="device.deviceId">{{ device.label }}</mat-option>
          }
        }
      </mat-select>
    </mat-form-field>
  `,
  styles: `
    mat-form-field {
      width: min(320px, 80vw);
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class DeviceSelect {
  /** What is chosen: "Microphone", "Speaker". */
  readonly label = input.required<string>();
  /** The devices to choose from. */
  readonly devices = input.required<readonly AudioDevice[]>();
  /** The chosen device's id; '' for the browser's default. */
  readonly value = input('');
  /** Emits the id of the device chosen ('' for the default). */
  readonly chosen = output<string>();
}
