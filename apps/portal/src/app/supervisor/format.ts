/**
 * A figure the API gives in seconds (`queueSeconds`, ASA…) in the milliseconds that
 * `formatDuration` of `@switchboard/ui` takes; null (a figure that does not exist) stays null.
 */
export function secondsToMs(seconds: number | null | undefined): number | null {
  return seconds === null || seconds === undefined ? null : seconds * 1000;
}

/** Shows a fraction 0–1 as a percentage with one decimal (`87.5 %`); an em dash for null (0 ÷ 0). */
export function formatPercent(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '—';
  return `${(fraction * 100).toFixed(1)} %`;
}

/** The `YYYY-MM-DD` of a `Date` in the browser's time zone (the value of an `<input type="date">`). */
export function toDateInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/**
 * The instant a `YYYY-MM-DD` day starts in the browser's time zone, as ISO 8601 UTC;
 * `plusDays` moves it (1 gives the exclusive end of that day). Null for anything else.
 */
export function startOfLocalDay(day: string | null | undefined, plusDays = 0): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day ?? '');
  if (!match) return null;
  const date = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + plusDays);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

const DATE_TIME_STYLES = {
  /** `11/23/26, 9:05 PM` */
  short: { dateStyle: 'short', timeStyle: 'short' },
  /** `Nov 23, 2026, 9:05:12 PM` */
  medium: { dateStyle: 'medium', timeStyle: 'medium' },
  /** `21:05:12.345` */
  precise: { hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3, hourCycle: 'h23' },
} satisfies Record<string, Intl.DateTimeFormatOptions>;

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * Shows an ISO 8601 instant in the browser's locale and time zone; an em dash for null.
 * (Intl directly rather than `DatePipe`, whose code would land in the initial bundle.)
 */
export function formatDateTime(iso: string | null | undefined, style: keyof typeof DATE_TIME_STYLES = 'short'): string {
  if (!iso) return '—';
  let format = dateTimeFormats.get(style);
  if (!format) {
    format = new Intl.DateTimeFormat(undefined, DATE_TIME_STYLES[style]);
    dateTimeFormats.set(style, format);
  }
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '—' : format.format(date);
}
