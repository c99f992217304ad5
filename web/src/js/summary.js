// The summary after a session: the server's headline, lede, facts and next steps for this role
// (sessionsvc/signaling/outcomes.py), laid out; dates and times in the reader's own time zone;
// the professional can copy the facts to paste into an invoice. A room that ended without a
// session (cancelled, expired) has lines instead of facts.
import { announce, h } from "./dom.js";
import { ending, helpLine } from "./endings.js";

const SCREENS = { cancelled: "cancelled", expired: "expired" };
const day = new Intl.DateTimeFormat(undefined, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
const clock = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });

/** A fact's value as the reader writes dates and times; the server's text otherwise. */
function factValue(f) {
  try {
    if (f.format === "date" && f.at) return day.format(new Date(f.at));
    if (f.format === "time-range" && f.start && f.end) {
      return `${clock.format(new Date(f.start))} – ${clock.format(new Date(f.end))}`;
    }
  } catch {
    // an unreadable time: the server's own text is still right
  }
  return f.value;
}

function fact(f) {
  return h("div", { class: "fact" }, h("dt", {}, f.label), h("dd", { dataset: { testid: f.key } }, factValue(f)));
}

/** The facts as plain text, one "label: value" a line, for an invoice. */
export function factsText(summary) {
  return (summary.facts ?? []).map((f) => `${f.label}: ${factValue(f)}`).join("\n");
}

function copyButton(summary) {
  const status = h("span", { class: "small muted copy-status", role: "status" });
  const button = h(
    "button",
    {
      type: "button",
      class: "button button-primary",
      dataset: { primary: "", testid: "copy" },
      onclick: async () => {
        try {
          await navigator.clipboard.writeText(factsText(summary));
          status.textContent = "Copied. Paste the details into your invoice.";
        } catch {
          status.textContent = "Your browser did not allow copying: select the details above and copy them.";
        }
        announce(status.textContent);
      },
    },
    "Copy these details",
  );
  return h("div", { class: "actions actions-center copy-row" }, button, status);
}

/** The summary screen for either role; `reopened`: the link was opened again afterwards. */
export function summaryScreen(summary, { reopened = false } = {}) {
  const reopenedLine = reopened ? "This session has finished, so its link no longer opens it." : null;
  if (summary.lines?.length) {
    return ending({
      screen: SCREENS[summary.phase] ?? "ended",
      title: summary.headline,
      lines: reopenedLine ? [...summary.lines, reopenedLine] : summary.lines,
    });
  }
  const held = summary.phase === "completed";
  const professional = "payment" in summary;
  const next = summary.next ?? [];
  return h(
    "section",
    { class: "screen summary", dataset: { screen: "summary", outcome: summary.phase ?? "", reopened: reopened ? "true" : null } },
    h(
      "div",
      { class: "card card-center" },
      h("span", { class: `outcome-mark ${held ? "mark-ok" : "mark-neutral"}`, "aria-hidden": "true" }),
      reopenedLine ? h("p", { class: "eyebrow", dataset: { testid: "reopened" } }, reopenedLine) : null,
      h("h1", {}, summary.headline),
      summary.message ? h("p", { class: "lede", dataset: { testid: "summary-message" } }, summary.message) : null,
      h("dl", { class: "summary-facts" }, (summary.facts ?? []).map(fact)),
      professional && held ? copyButton(summary) : null,
      next.length
        ? h(
            "section",
            { class: "next-steps", "aria-labelledby": "next-title" },
            h("h2", { id: "next-title" }, "What to do next"),
            next.map((line) => h("p", {}, line)),
            !held && professional ? helpLine({ lead: "Support: ", onlyContact: true }) : null,
          )
        : null,
    ),
  );
}
