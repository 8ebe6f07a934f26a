import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import { MatIconModule } from '@angular/material/icon';
import { QUALITY_WARNING_TEXT, type QualityLevel, type QualitySample } from '@switchboard/call-domain';

const ICONS: Readonly<Record<QualityLevel, string>> = { good: 'signal_cellular_alt', fair: 'signal_cellular_alt_2_bar', poor: 'signal_cellular_alt_1_bar' };

/**
 * A call's quality in words, for both parties' call panels: "Call quality: good / fair /
 * poor" with the estimated MOS (an icon repeats it; colour is never the only sign), and a
 * warning naming the thresholds the latest sample crossed ("Warning: packet loss, low MOS").
 * The warning line is a polite live region that changes only when the warnings do, so
 * screen readers hear a warning once, not every sample.
 */
@Component({
  selector: 'sb-call-quality',
  imports: [MatIconModule],
  template: `
    @if (quality(); as q) {
      <p class="quality" [attr.data-level]="q.level">
        <mat-icon aria-hidden="true">{{ icon() }}</mat-icon>
        <span class="text">Call quality: {{ q.level }} (MOS {{ q.mos.toFixed(1) }})</span>
      </p>
    }
    <p class="warning" role="status">{{ warning() }}</p>
  `,
  styles: `
    :host {
      display: block;
    }
    p {
      margin: 0;
      display: flex;
      align-items: center;
      gap: 8px;
      font: var(--mat-sys-body-medium);
    }
    .quality[data-level='poor'] mat-icon,
    .warning {
      color: var(--mat-sys-error);
    }
    .warning:empty {
      display: none;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class CallQualityIndicator {
  /** The latest sample; nothing is shown before the first. */
  readonly quality = input<QualitySample | null>(null);

  protected readonly icon = computed(() => ICONS[this.quality()?.level ?? 'good']);
  /** The warning in words, empty without one. */
  protected readonly warning = computed(() => {
    const warnings = this.quality()?.warnings ?? [];
    return warnings.length === 0 ? '' : `Warning: ${warnings.map((w) => QUALITY_WARNING_TEXT[w]).join(', ')}`;
  });
}
