// Timestamps from both APIs: legacy `YYYY-MM-DD HH:MM:SS` (UTC, no zone, legacy-api.md §7.4) and
// RFC 3339 with `Z` (jwt-api.md §1.6); the reference's `… +00` form is accepted too.

/** Milliseconds since the epoch, or 0 when the value is not a timestamp. */
export function parseTimestamp(value) {
  if (typeof value !== 'string' || value === '') return 0;
  let text = value.trim().replace(' ', 'T');
  if (/[+-]\d\d$/u.test(text)) text += ':00';
  else if (!/(Z|[+-]\d\d:?\d\d)$/iu.test(text)) text += 'Z';
  const millis = Date.parse(text);
  return Number.isNaN(millis) ? 0 : millis;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** "14:05" today, "3 Mar" otherwise. */
export function shortTime(millis) {
  if (!millis) return '';
  const date = new Date(millis);
  return date.toDateString() === new Date().toDateString() ? timeFormat.format(date) : dateFormat.format(date);
}

export function fullTime(millis) {
  return millis ? fullFormat.format(new Date(millis)) : '';
}

/** "0:07" for a duration in seconds. */
export function duration(seconds) {
  const total = Math.max(0, Math.round(Number(seconds) || 0));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
}
