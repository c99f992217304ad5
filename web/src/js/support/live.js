// The live rooms: everyone in a room now, updated as the /support namespace pushes changes.
import { fill, h } from "../dom.js";
import { clock, durations, gradeChip, phaseBadge, shortId, who } from "./text.js";

/** Merge a pushed row into a known one: a row without `quality` keeps the grades known. */
export function merge(known, row) {
  if (!known) return row;
  const participants = row.participants.map((p, i) => ("quality" in p ? p : { ...p, quality: known.participants[i]?.quality ?? null }));
  return { ...row, participants };
}

export class LiveRooms {
  constructor({ onOpen }) {
    this.onOpen = onOpen;
    this.rows = new Map();
    this.body = h("tbody");
    this.empty = h("p", { class: "empty" }, "No one is in a room right now. Rooms appear here as people arrive.");
    this.count = h("span", { class: "count" });
    this.element = h(
      "section",
      { class: "panel", dataset: { view: "live" } },
      h("div", { class: "panel-head" }, h("h1", {}, "Live rooms"), this.count),
      h("p", { class: "muted small" }, "People appear as their role and a pseudonym, the same in every room. Every view is written to the audit log."),
      h(
        "table",
        { class: "rooms" },
        h(
          "thead",
          {},
          h("tr", {}, ["Room", "Hub", "Phase", "Waiting", "In session", "Professional", "Client"].map((t) => h("th", { scope: "col" }, t))),
        ),
        this.body,
      ),
      this.empty,
    );
    this.timer = setInterval(() => this.tick(), 1000);
  }

  setAll(rows) {
    this.rows = new Map(rows.map((r) => [r.room_id, r]));
    this.render();
  }

  upsert(row) {
    const merged = merge(this.rows.get(row.room_id), row);
    if (merged.live) this.rows.set(row.room_id, merged);
    else this.rows.delete(row.room_id);
    this.render();
  }

  render() {
    const rows = [...this.rows.values()].sort((a, b) => (a.first_joined_at ?? "").localeCompare(b.first_joined_at ?? ""));
    fill(this.body, rows.map((row) => this.line(row)));
    this.empty.hidden = rows.length > 0;
    this.count.textContent = rows.length === 1 ? "1 room" : `${rows.length} rooms`;
  }

  line(row) {
    const { waiting, inSession } = durations(row);
    const [pro, client] = row.participants;
    const open = h("a", { href: `#room/${encodeURIComponent(row.room_id)}`, title: row.room_id }, h("code", {}, shortId(row.room_id)));
    return h(
      "tr",
      { dataset: { room: row.room_id } },
      h("td", {}, open),
      h("td", {}, row.hub?.name ?? "Own client"),
      h("td", {}, phaseBadge(row.phase)),
      h("td", { class: "num", dataset: { clock: "waiting" } }, clock(waiting)),
      h("td", { class: "num", dataset: { clock: "in-session" } }, row.admitted_at ? clock(inSession) : "—"),
      h("td", {}, who(pro), " ", gradeChip(pro.quality), " ", presence(pro)),
      h("td", {}, who(client), " ", gradeChip(client.quality), " ", presence(client)),
    );
  }

  tick() {
    for (const tr of this.body.children) {
      const row = this.rows.get(tr.dataset.room);
      if (!row) continue;
      const { waiting, inSession } = durations(row);
      tr.querySelector('[data-clock="waiting"]').textContent = clock(waiting);
      if (row.admitted_at) tr.querySelector('[data-clock="in-session"]').textContent = clock(inSession);
    }
  }

  destroy() {
    clearInterval(this.timer);
  }
}

function presence(p) {
  return p.presence === "present" ? "" : h("span", { class: "presence", dataset: { presence: p.presence } }, p.presence);
}
