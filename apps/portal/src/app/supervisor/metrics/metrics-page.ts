import { ChangeDetectionStrategy, Component, computed, effect, inject } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { FormControl, FormGroup, ReactiveFormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatCardModule } from '@angular/material/card';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatTableModule } from '@angular/material/table';
import { ActivatedRoute, ParamMap, Router } from '@angular/router';
import { MetricDefinition, MetricName, MetricsReport } from '@switchboard/call-domain';
import { map } from 'rxjs';
import { formatDuration } from '@switchboard/ui';
import { formatDateTime, formatPercent, secondsToMs, startOfLocalDay, toDateInput } from '../format';
import { remote } from '../remote';
import { SupervisorApi } from '../supervisor-api';
import { HourlyChart } from './hourly-chart';

/** Days shown when the URL names no period. */
export const DEFAULT_PERIOD_DAYS = 30;

/** One figure as the page prints it: title, value, and what it means. */
interface Figure {
  name: MetricName;
  value: string;
  /** Extra context shown under the value (counts, threshold). */
  context: string | null;
  definition: MetricDefinition;
}

/** The period in the URL (days, both inclusive), or the last {@link DEFAULT_PERIOD_DAYS} days up to today. */
function readPeriod(params: ParamMap, today = new Date()): { from: string; to: string } {
  const day = (key: string) => (/^\d{4}-\d{2}-\d{2}$/.test(params.get(key) ?? '') ? params.get(key) : null);
  const start = new Date(today.getFullYear(), today.getMonth(), today.getDate() - (DEFAULT_PERIOD_DAYS - 1));
  return { from: day('from') ?? toDateInput(start), to: day('to') ?? toDateInput(today) };
}

/**
 * Metrics (`/supervisor/metrics`) of a period (default: the last 30 days, kept in the URL):
 * offered, answered, rates, ASA, AHT, service level with its threshold, missed offers per
 * agent and calls per hour — each printed with its industry definition, as the API sends it
 * (the domain's `METRIC_DEFINITIONS`, not imported here: it would count against the initial bundle).
 */
@Component({
  selector: 'sb-metrics-page',
  imports: [ReactiveFormsModule, MatButtonModule, MatCardModule, MatFormFieldModule, MatInputModule, MatProgressBarModule, MatTableModule, HourlyChart],
  templateUrl: './metrics-page.html',
  styleUrl: './metrics-page.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class MetricsPage {
  private readonly router = inject(Router);
  private readonly route = inject(ActivatedRoute);

  protected readonly period = toSignal(this.route.queryParamMap.pipe(map((p) => readPeriod(p))), { requireSync: true });
  protected readonly timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  private readonly api = inject(SupervisorApi);
  protected readonly report = remote(
    () => {
      const { from, to } = this.period();
      const fromInstant = startOfLocalDay(from);
      const toInstant = startOfLocalDay(to, 1);
      return fromInstant && toInstant ? { from: fromInstant, to: toInstant, timeZone: this.timeZone } : undefined;
    },
    (request) => this.api.metrics(request),
  );
  protected readonly figures = computed(() => {
    const report = this.report.value();
    return report ? figuresOf(report) : [];
  });
  protected readonly formatDateTime = formatDateTime;
  protected readonly missedColumns = ['agentName', 'missedOffers'];

  protected readonly form = new FormGroup({
    from: new FormControl('', { nonNullable: true }),
    to: new FormControl('', { nonNullable: true }),
  });

  constructor() {
    effect(() => this.form.reset(this.period()));
  }

  /** Shows the figures of the period in the form (kept in the URL). */
  protected showPeriod(): void {
    const { from, to } = this.form.getRawValue();
    void this.router.navigate([], { relativeTo: this.route, queryParams: { from: from || null, to: to || null } });
  }
}

/** The figures of a report in the page's order, with the values formatted. */
export function figuresOf(report: MetricsReport): Figure[] {
  const m = report.metrics;
  const t = report.thresholds;
  const figure = (name: MetricName, value: string, context: string | null = null): Figure => ({
    name,
    value,
    context,
    definition: report.definitions[name],
  });
  return [
    figure('offered', String(m.offered)),
    figure('answered', String(m.answered)),
    figure('abandoned', String(m.abandoned), `of which ${m.shortAbandoned} short abandons (within ${t.shortAbandonSeconds} s)`),
    figure('answerRate', formatPercent(m.answerRate), `${m.answered} of ${m.offered}`),
    figure('abandonRate', formatPercent(m.abandonRate), `${m.abandoned} of ${m.offered}`),
    figure('averageSpeedOfAnswerSeconds', formatDuration(secondsToMs(m.averageSpeedOfAnswerSeconds), 'figure')),
    figure('averageHandleTimeSeconds', formatDuration(secondsToMs(m.averageHandleTimeSeconds), 'figure')),
    figure(
      'serviceLevel',
      formatPercent(m.serviceLevel),
      `Threshold ${t.serviceLevelSeconds} s; short-abandon window ${t.shortAbandonSeconds} s`,
    ),
  ];
}
