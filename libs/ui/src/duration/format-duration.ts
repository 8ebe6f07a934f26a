/**
 * Formats a duration as `mm:ss` (minutes keep counting past 59: `75:03`). Negative
 * durations count as zero, so a countdown that has passed shows `00:00`.
 *
 * @param ms The duration in milliseconds; rounded down to whole seconds.
 */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(seconds / 60))}:${pad(seconds % 60)}`;
}
