import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import type { HourlyCalls } from '@switchboard/call-domain';

/** Height of the plot area, in SVG units (one unit per pixel at the default size). */
const PLOT_HEIGHT = 160;
/** Width of one hour's slot. */
const SLOT = 24;

/**
 * Calls offered per hour of day as an SVG bar chart (answered part darker), with a summary
 * for screen readers and the same numbers in a table behind "Show as table".
 */
@Component({
  selector: 'sb-hourly-chart',
  template: `
    <figure>
      <svg
        [attr.viewBox]="'0 0 ' + width + ' ' + (plotHeight + 20)"
        role="img"
        [attr.aria-label]="summary()"
        preserveAspectRatio="xMinYMin meet"
      >
        @for (bar of bars(); track bar.hour) {
          <g>
            <title>{{ bar.title }}</title>
            <rect class="offered" [attr.x]="bar.x" [attr.y]="plotHeight - bar.offeredHeight" [attr.width]="slot - 4" [attr.height]="bar.offeredHeight" />
            <rect class="answered" [attr.x]="bar.x" [attr.y]="plotHeight - bar.answeredHeight" [attr.width]="slot - 4" [attr.height]="bar.answeredHeight" />
            @if (bar.hour % 3 === 0) {
              <text [attr.x]="bar.x + (slot - 4) / 2" [attr.y]="plotHeight + 14" text-anchor="middle">{{ bar.hour }}</text>
            }
          </g>
        }
      </svg>
      <figcaption>
        <span class="key offered"></span> Offered <span class="key answered"></span> Answered — {{ caption() }}
      </figcaption>
    </figure>
    <details>
      <summary>Show as table</summary>
      <table>
        <caption>Calls per hour of day ({{ timeZone() }})</caption>
        <thead>
          <tr><th scope="col">Hour</th><th scope="col">Offered</th><th scope="col">Answered</th><th scope="col">Abandoned</th></tr>
        </thead>
        <tbody>
          @for (h of hours(); track h.hour) {
            <tr><th scope="row">{{ hourLabel(h.hour) }}</th><td>{{ h.offered }}</td><td>{{ h.answered }}</td><td>{{ h.abandoned }}</td></tr>
          }
        </tbody>
      </table>
    </details>
  `,
  styles: `
    :host {
      display: block;
    }
    figure {
      margin: 0;
    }
    svg {
      width: 100%;
      max-width: 640px;
    }
    .offered {
      fill: var(--mat-sys-primary-container);
    }
    .answered {
      fill: var(--mat-sys-primary);
    }
    text {
      font: var(--mat-sys-label-small);
      fill: var(--mat-sys-on-surface);
    }
    .key {
      display: inline-block;
      width: 12px;
      height: 12px;
      vertical-align: middle;
    }
    .key.offered {
      background: var(--mat-sys-primary-container);
    }
    .key.answered {
      background: var(--mat-sys-primary);
    }
    table {
      border-collapse: collapse;
    }
    th,
    td {
      padding: 2px 12px;
      text-align: right;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class HourlyChart {
  /** The 24 hours, hour 0 first. */
  readonly hours = input.required<readonly HourlyCalls[]>();
  /** The IANA time zone the hours are in. */
  readonly timeZone = input('UTC');

  protected readonly plotHeight = PLOT_HEIGHT;
  protected readonly slot = SLOT;
  protected readonly width = SLOT * 24;

  protected readonly bars = computed(() => {
    const max = Math.max(1, ...this.hours().map((h) => h.offered));
    return this.hours().map((h, i) => ({
      ...h,
      title: `${this.hourLabel(h.hour)}: ${h.offered} offered, ${h.answered} answered`,
      x: i * SLOT + 2,
      offeredHeight: (h.offered / max) * PLOT_HEIGHT,
      answeredHeight: (h.answered / max) * PLOT_HEIGHT,
    }));
  });

  protected readonly peak = computed(() => {
    const busiest = this.hours().reduce<HourlyCalls | null>((best, h) => (h.offered > (best?.offered ?? 0) ? h : best), null);
    return busiest ? `${this.hourLabel(busiest.hour)} (${busiest.offered} calls)` : 'none (no calls)';
  });

  protected readonly caption = computed(() => `hour of day (${this.timeZone()}), busiest hour ${this.peak()}.`);

  protected readonly summary = computed(() => {
    const total = this.hours().reduce((sum, h) => sum + h.offered, 0);
    return `Bar chart of calls offered per hour of day: ${total} calls in all, busiest hour ${this.peak()}. The same numbers are in the table below.`;
  });

  /** `09:00–10:00` for hour 9. */
  protected hourLabel(hour: number): string {
    const pad = (n: number) => String(n).padStart(2, '0');
    return `${pad(hour)}:00–${pad((hour + 1) % 24)}:00`;
  }
}
