// Dates, times and durations, in the reader's own locale and time zone.

const clock = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const dayName = new Intl.DateTimeFormat(undefined, {
  weekday: "long",
  day: "numeric",
  month: "long",
});

function sameDay(a, b) {
  return a.toDateString() === b.toDateString();
}

/** "Today, 10:00 – 10:50", "Tomorrow, …" or "Tuesday 24 November, …". */
export function sessionTime(startIso, endIso, now = new Date()) {
  if (!startIso) return "";
  const start = new Date(startIso);
  const tomorrow = new Date(now);
  tomorrow.setDate(now.getDate() + 1);
  let day = dayName.format(start);
  if (sameDay(start, now)) day = "Today";
  else if (sameDay(start, tomorrow)) day = "Tomorrow";
  const end = endIso ? ` – ${clock.format(new Date(endIso))}` : "";
  return `${day}, ${clock.format(start)}${end}`;
}

/** "45 seconds", "1 minute", "31 minutes", "1 h 05 min". */
export function duration(seconds) {
  const s = Math.max(0, Math.round(seconds ?? 0));
  if (s < 60) return `${s} second${s === 1 ? "" : "s"}`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} minute${m === 1 ? "" : "s"}`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
}

/** A first name or short form for friendly sentences: "Dr. Alex Rivera" stays whole. */
export function displayName(person, fallback) {
  const name = person?.name?.trim();
  return name || fallback;
}

/** Only http(s) links are followed (payment_url comes from another system). */
export function safeHttpUrl(url) {
  try {
    const parsed = new URL(url, location.href);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}
