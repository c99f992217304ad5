// How support figures read: times of day, running durations, grades and phases in words.
import { h } from "../dom.js";

const timeOfDay = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export const PHASES = {
  scheduled: "Scheduled",
  waiting: "Waiting",
  in_session: "In session",
  completed: "Completed",
  not_held: "Not held",
  cancelled: "Cancelled",
  expired: "Expired",
};

export const ROLES = { professional: "Professional", client: "Client" };

export function time(iso) {
  return iso ? timeOfDay.format(new Date(iso)) : "—";
}

export function when(iso) {
  return iso ? dateTime.format(new Date(iso)) : "—";
}

/** "4:05", "1:02:09": seconds as a running clock. */
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds ?? 0));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return hh ? `${hh}:${String(mm).padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
}

/** Waiting and in-session seconds of a room row, running on for a live room. */
export function durations(row, now = Date.now()) {
  const t = (iso) => (iso ? Date.parse(iso) : null);
  const joined = t(row.first_joined_at);
  const admitted = t(row.admitted_at);
  const ended = t(row.ended_at);
  const until = (x) => (x ?? ended ?? (row.live ? now : null));
  const span = (a, b) => (a != null && b != null ? Math.max(0, (b - a) / 1000) : 0);
  return { waiting: span(joined, until(admitted)), inSession: span(admitted, until(null)) };
}

export function phaseBadge(phase) {
  return h("span", { class: "badge", dataset: { phase } }, PHASES[phase] ?? phase);
}

/** A grade chip: a dot and the word, "no data" when there is none yet. */
export function gradeChip(quality) {
  const grade = quality?.grade ?? "none";
  const label = quality?.grade ?? "no data";
  const title = quality?.reason ? `${label}: limited by ${quality.reason}` : label;
  return h("span", { class: "grade", dataset: { grade }, title }, h("i", { "aria-hidden": "true" }), label);
}

export function who(participant) {
  return h(
    "span",
    { class: "who" },
    h("span", { class: "role" }, ROLES[participant.role] ?? participant.role),
    " ",
    h("code", { class: "pseudonym" }, participant.pseudonym),
  );
}

export function shortId(id) {
  return id.length > 14 ? `${id.slice(0, 14)}…` : id;
}
