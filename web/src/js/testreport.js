// A connection test's report as a person reads it: the grade and its reason in plain words,
// the test's id to read out to support, and each figure with its own grade. The words come
// from the service (sessionsvc/quality.py); this module only lays them out.
import { h } from "./dom.js";

const GRADE_TITLES = {
  good: "Your connection is good",
  fair: "Your connection is fair",
  poor: "Your connection is poor",
};

// What support reads of someone else's test.
const SUPPORT_TITLES = {
  good: "Connection good",
  fair: "Connection fair",
  poor: "Connection poor",
};

const ROWS = [
  ["bitrate_out_kbps", "Upload", (f) => kbps(f.upload?.bitrate_kbps)],
  ["bitrate_in_kbps", "Download", (f) => kbps(f.download?.bitrate_kbps)],
  ["rtt_ms", "Round trip", (f) => ms(f.rtt_ms)],
  ["jitter_ms", "Jitter", (f) => ms(Math.max(f.upload?.jitter_ms ?? 0, f.download?.jitter_ms ?? 0))],
  ["loss_pct", "Packet loss", (f) => pct(f.upload?.loss_pct, f.download?.loss_pct)],
  ["connect_ms", "Time to connect", (f) => ms(f.connect_ms)],
];

function kbps(v) {
  if (typeof v !== "number") return "—";
  return v >= 1000 ? `${(v / 1000).toFixed(1)} Mbps` : `${Math.round(v)} kbps`;
}

function ms(v) {
  return typeof v === "number" ? `${Math.round(v)} ms` : "—";
}

function pct(up, down) {
  if (typeof up !== "number" && typeof down !== "number") return "—";
  const worst = Math.max(up ?? 0, down ?? 0);
  return `${worst < 1 && worst > 0 ? worst.toFixed(1) : Math.round(worst)} %`;
}

const PATHS = { host: "direct", srflx: "direct, through your router", prflx: "direct", relay: "through a relay" };

function pathText(path) {
  if (!path) return "—";
  const kind = path.remote === "relay" || path.local === "relay" ? PATHS.relay : PATHS[path.remote] ?? path.remote;
  return `${kind} (${path.protocol.toUpperCase()})`;
}

/** The test id, large, with a line on what to do with it. */
export function testIdBlock(id) {
  return h(
    "div",
    { class: "test-id" },
    h("span", { class: "test-id-label" }, "Test ID"),
    h("strong", { class: "test-id-value", dataset: { testId: id } }, id),
    h("span", { class: "test-id-note" }, "Give this ID to support if you need help."),
  );
}

/** The whole report: a card with the grade, the reason, the id and a table of figures. For
 * support (``forSupport``) the card speaks of the person's connection and leaves the id out
 * (support already has it). */
export function reportCard(report, { forSupport = false } = {}) {
  const byFigure = new Map((report.findings ?? []).map((f) => [f.figure, f]));
  const figures = report.figures ?? {};
  const rows = ROWS.map(([figure, label, value]) => {
    const finding = byFigure.get(figure);
    return h(
      "tr",
      { dataset: { figure, grade: finding?.grade ?? "none" } },
      h("th", { scope: "row" }, label),
      h("td", {}, value(figures)),
      h("td", {}, h("span", { class: "grade-pill", dataset: { grade: finding?.grade ?? "none" } }, finding?.grade ?? "—")),
    );
  });
  const path = byFigure.get("path");
  rows.push(
    h(
      "tr",
      { dataset: { figure: "path", grade: path?.grade ?? "none" } },
      h("th", { scope: "row" }, "Connection"),
      h("td", {}, pathText(report.path)),
      h("td", {}, h("span", { class: "grade-pill", dataset: { grade: path?.grade ?? "none" } }, path?.grade ?? "—")),
    ),
  );
  if (report.relay) {
    const relay = byFigure.get("relay");
    const ok = report.relay.ok;
    rows.push(
      h(
        "tr",
        { dataset: { figure: "relay", grade: relay?.grade ?? "none" } },
        h("th", { scope: "row" }, "Relay server"),
        h("td", {}, ok === true ? "works" : ok === false ? "did not connect" : "not checked"),
        h("td", {}, h("span", { class: "grade-pill", dataset: { grade: relay?.grade ?? "none" } }, relay?.grade ?? "—")),
      ),
    );
  }
  const grade = report.grade ?? "poor";
  return h(
    "section",
    { class: "card report", dataset: { grade }, "aria-labelledby": "report-title" },
    h(
      "div",
      { class: "report-head" },
      h("span", { class: "report-dot", "aria-hidden": "true" }),
      h("div", {}, h("h2", { id: "report-title" }, (forSupport ? SUPPORT_TITLES : GRADE_TITLES)[grade] ?? "Connection test"), h("p", { class: "report-reason" }, sentence(report.reason))),
    ),
    forSupport ? null : testIdBlock(report.id),
    report.state === "done"
      ? h(
          "table",
          { class: "figures" },
          h("caption", { class: "visually-hidden" }, "What the test measured"),
          h("tbody", {}, rows),
        )
      : null,
  );
}

/** The service's reason as a sentence: capitalised, with a full stop. */
export function sentence(text) {
  if (!text) return "";
  const s = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}
