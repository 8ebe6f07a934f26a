/**
 * How a duration reads:
 * - `clock`: a running timer (talk time, time in state, wrap-up left), fixed width `mm:ss`
 *   so it does not jump as it ticks; minutes keep counting past 59 (`75:03`);
 * - `figure`: a reported figure (a call's talk time, ASA), `m:ss`, `h:mm:ss` from an hour on.
 */
export type DurationStyle = 'clock' | 'figure';

/**
 * Formats a duration (see {@link DurationStyle}); the one formatter of the portal. Negative
 * durations count as zero, so a countdown that has passed shows `00:00`; null (a figure that
 * does not exist, e.g. ASA with no answered call) shows an em dash.
 *
 * @param ms The duration in milliseconds; rounded down to whole seconds.
 */
export function formatDuration(ms: number | null | undefined, style: DurationStyle = 'clock'): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const pad = (n: number) => String(n).padStart(2, '0');
  if (style === 'clock') return `${pad(Math.floor(seconds / 60))}:${pad(seconds % 60)}`;
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  return hours > 0 ? `${hours}:${pad(minutes)}:${pad(seconds % 60)}` : `${minutes}:${pad(seconds % 60)}`;
}
