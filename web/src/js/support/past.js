// Past sessions (and any room): a search of the newest rooms by phase, hub, date and outcome.
import { fill, h } from "../dom.js";
import { PHASES, gradeChip, phaseBadge, shortId, when, who } from "./text.js";

// The not-held reasons in the service's own words, which the page carries (one source).
const REASONS = JSON.parse(document.querySelector('meta[name="not-held-reasons"]')?.content || "{}");

const OUTCOMES = {
  "": "Any outcome",
  completed: "Completed",
  not_held: "Not held (any reason)",
  ...Object.fromEntries(Object.entries(REASONS).map(([code, text]) => [code, `Not held: ${text}`])),
  cancelled: "Cancelled",
  expired: "Expired",
};

function select(name, label, options) {
  return h(
    "label",
    {},
    h("span", {}, label),
    h("select", { name }, Object.entries(options).map(([value, text]) => h("option", { value }, text))),
  );
}

export class PastSessions {
  constructor({ api, onError }) {
    this.api = api;
    this.onError = onError;
    this.body = h("tbody");
    this.note = h("p", { class: "empty", role: "status" });
    this.form = h(
      "form",
      { class: "filters", onsubmit: (e) => this.search(e) },
      select("live", "Rooms", { false: "Ended and upcoming", "": "All", true: "Live" }),
      select("phase", "Phase", { "": "Any phase", ...PHASES }),
      h("label", {}, h("span", {}, "Hub id"), h("input", { name: "hub", type: "text", placeholder: "e.g. hub-acme", autocomplete: "off" })),
      h("label", {}, h("span", {}, "Scheduled on"), h("input", { name: "date", type: "date" })),
      select("outcome", "Outcome", OUTCOMES),
      h("button", { type: "submit", class: "button button-primary button-small" }, "Search"),
    );
    this.element = h(
      "section",
      { class: "panel", dataset: { view: "past" } },
      h("div", { class: "panel-head" }, h("h1", {}, "Past sessions")),
      this.form,
      h(
        "table",
        { class: "rooms" },
        h(
          "thead",
          {},
          h("tr", {}, ["Room", "Hub", "Scheduled", "Phase", "Reason", "Held", "Professional", "Client"].map((t) => h("th", { scope: "col" }, t))),
        ),
        this.body,
      ),
      this.note,
    );
  }

  async search(event) {
    event?.preventDefault();
    const filters = Object.fromEntries(new FormData(this.form));
    this.note.textContent = "Searching…";
    try {
      const { rooms } = await this.api.rooms({ ...filters, limit: 200 });
      fill(this.body, rooms.map((row) => this.line(row)));
      this.note.textContent = rooms.length ? "" : "No rooms match.";
    } catch (err) {
      this.note.textContent = err.message;
      this.onError(err);
    }
  }

  line(row) {
    const [pro, client] = row.participants;
    const reason = row.outcome?.reason_text ?? "";
    return h(
      "tr",
      { dataset: { room: row.room_id } },
      h("td", {}, h("a", { href: `#room/${encodeURIComponent(row.room_id)}`, title: row.room_id }, h("code", {}, shortId(row.room_id)))),
      h("td", {}, row.hub?.name ?? "Own client"),
      h("td", {}, when(row.scheduled_start)),
      h("td", {}, phaseBadge(row.phase)),
      h("td", { class: "reason" }, reason),
      h("td", { class: "num" }, `${row.held_seconds} s`),
      h("td", {}, who(pro), " ", gradeChip(pro.quality)),
      h("td", {}, who(client), " ", gradeChip(client.quality)),
    );
  }
}
