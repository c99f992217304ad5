// One room's media diagnostics: what happened, both sides' devices and routes, charts of their
// figures over time (live while the room is), the timeline, and the JSON export.
import { fill, h } from "../dom.js";
import { FIGURES, FigureChart } from "./charts.js";
import { ROLES, clock, durations, gradeChip, phaseBadge, time, when, who } from "./text.js";

const EVENTS = {
  joined: () => "Joined the room",
  device: (e) => `Device check: ${e.value || "unknown browser"} · camera ${e.detail?.camera ?? "?"} · microphone ${e.detail?.microphone ?? "?"}`,
  reconnecting: () => "Connection to the service dropped",
  resumed: () => "Came back",
  left: () => "Left the room",
  peer: () => "New media connection",
  ice_state: (e) => `ICE ${e.value}`,
  connection_state: (e) => `Media connection ${e.value}`,
  candidates: (e) => `Route ${e.value} (local/remote candidate types)`,
  grade: (e) => `Grade ${e.value}`,
};

function fact(label, value) {
  return h("div", {}, h("dt", {}, label), h("dd", {}, value));
}

export class RoomDetail {
  constructor({ api, socket, roomId, onError }) {
    this.api = api;
    this.socket = socket;
    this.roomId = roomId;
    this.onError = onError;
    this.charts = [];
    this.element = h("section", { class: "panel room-detail", dataset: { view: "room" } }, h("p", { class: "muted" }, "Loading the room…"));
    this.onSample = (msg) => this.sample(msg);
    this.onRoom = (row) => row.room_id === this.roomId && this.renderFacts(row);
  }

  async load() {
    try {
      this.doc = await this.api.diagnostics(this.roomId);
    } catch (err) {
      fill(this.element, h("a", { href: "#live", class: "back" }, "← Live rooms"), h("h1", {}, "Room not available"), h("p", { class: "notice" }, err.message));
      this.onError(err);
      return;
    }
    this.render();
    if (this.doc.room.live && this.socket) {
      this.socket.on("sample", this.onSample);
      this.socket.on("room", this.onRoom);
      this.socket.emit("watch", { room_id: this.roomId }, () => {});
      this.watching = true;
    }
  }

  sides() {
    return this.doc.participants.map((p) => ({ role: p.role, label: `${ROLES[p.role]} ${p.pseudonym}`, samples: p.samples }));
  }

  render() {
    const { room } = this.doc;
    this.factsEl = h("dl", { class: "kv" });
    this.cards = h("div", { class: "sides" });
    const chartGrid = h("div", { class: "charts" });
    this.timelineBody = h("tbody");
    fill(
      this.element,
      h("a", { href: room.live ? "#live" : "#past", class: "back" }, room.live ? "← Live rooms" : "← Past sessions"),
      h(
        "div",
        { class: "panel-head" },
        h("h1", {}, "Room ", h("code", {}, room.room_id)),
        h("button", { type: "button", class: "button button-small", onclick: () => this.download() }, "Export JSON"),
      ),
      this.factsEl,
      this.cards,
      h("h2", {}, "Media over time", room.live ? h("span", { class: "live-dot", title: "updating live" }, " live") : ""),
      chartGrid,
      h("h2", {}, "Timeline"),
      h("table", { class: "timeline" }, h("thead", {}, h("tr", {}, ["Time", "Side", "What happened"].map((t) => h("th", { scope: "col" }, t)))), this.timelineBody),
    );
    this.renderFacts(room);
    this.renderSides();
    this.renderTimeline();
    const sides = this.sides();
    this.charts = FIGURES.map((figure) => new FigureChart(figure, sides));
    for (const chart of this.charts) chartGrid.append(chart.element);
    if (!sides.some((s) => s.samples.length)) chartGrid.append(h("p", { class: "empty" }, "No media stats were reported for this room."));
  }

  renderFacts(row) {
    if (!this.factsEl) return;
    this.row = row;
    const { waiting, inSession } = durations(row);
    const outcome = row.outcome;
    fill(
      this.factsEl,
      fact("Phase", phaseBadge(row.phase)),
      fact("Hub", row.hub ? `${row.hub.name} (${row.hub.id})` : "Own client (self-pay)"),
      fact("Booking", h("code", {}, row.booking_id)),
      fact("Scheduled", `${when(row.scheduled_start)} – ${time(row.scheduled_end)}`),
      fact("First arrival", when(row.first_joined_at)),
      fact("Admitted", when(row.admitted_at)),
      fact("Ended", when(row.ended_at)),
      fact("Waiting", clock(waiting)),
      fact("In session", row.admitted_at ? clock(inSession) : "—"),
      fact("Media both ways", `${row.held_seconds} s`),
      fact("Outcome", outcome ? `${outcome.phase.replace("_", " ")}${outcome.reason_text ? ` — ${outcome.reason_text}` : ""}` : "not ended"),
    );
  }

  renderSides() {
    fill(
      this.cards,
      this.doc.participants.map((p) =>
        h(
          "article",
          { class: "side", dataset: { role: p.role } },
          h("h3", {}, who(p), " ", gradeChip(p.quality)),
          h(
            "dl",
            { class: "kv compact" },
            fact("Presence", p.presence),
            fact("Browser", p.browser ? `${p.browser.name} ${p.browser.version}`.trim() : "not reported"),
            fact("Camera", p.permissions?.camera ?? "not reported"),
            fact("Microphone", p.permissions?.microphone ?? "not reported"),
            fact("Route", p.candidates ? `${p.candidates.local} → ${p.candidates.remote}` : "—"),
            fact("Reconnects", p.reconnects.length ? p.reconnects.map((r) => `${time(r.at)}${r.back_at ? ` (back ${time(r.back_at)})` : " (not back)"}`).join(", ") : "none"),
            fact("Stats reports", `${p.samples.length} (good ${p.grades.good}, fair ${p.grades.fair}, poor ${p.grades.poor})`),
          ),
        ),
      ),
    );
  }

  renderTimeline() {
    const row = this.doc.room;
    const roomEvents = [
      ["opened_at", "Room opened by the booking service"],
      ["admitted_at", "The professional admitted the client: session started"],
      ["ended_at", `Room ended: ${(row.outcome?.phase ?? "").replace("_", " ")}${row.outcome?.reason_text ? ` — ${row.outcome.reason_text}` : ""}`],
    ]
      .filter(([key]) => row[key])
      .map(([key, text]) => ({ at: row[key], side: "Room", event: "room", text }));
    const entries = this.doc.participants
      .flatMap((p) => p.timeline.map((e) => ({ ...e, side: `${ROLES[p.role]} ${p.pseudonym}` })))
      .concat(roomEvents)
      .sort((a, b) => a.at.localeCompare(b.at));
    fill(
      this.timelineBody,
      entries.map((e) => h("tr", { dataset: { event: e.event } }, h("td", { class: "num" }, time(e.at)), h("td", {}, e.side), h("td", {}, e.text ?? (EVENTS[e.event] ?? (() => `${e.event} ${e.value}`))(e)))),
    );
  }

  sample({ room_id, role, sample }) {
    if (room_id !== this.roomId || !this.doc) return;
    const side = this.doc.participants.find((p) => p.role === role);
    if (!side) return;
    side.samples.push(sample);
    if (sample.grade) side.quality = { grade: sample.grade, score: sample.score, reason: sample.reason, at: sample.at };
    if (sample.grade) side.grades[sample.grade] += 1;
    this.renderSides();
    const sides = this.sides();
    for (const chart of this.charts) chart.update(sides);
    this.element.dataset.samples = String(sides.reduce((n, s) => n + s.samples.length, 0));
  }

  async download() {
    try {
      const doc = await this.api.exportRoom(this.roomId);
      const blob = new Blob([JSON.stringify(doc, null, 2)], { type: "application/json" });
      const a = h("a", { href: URL.createObjectURL(blob), download: `room-${this.roomId}.json` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    } catch (err) {
      this.onError(err);
    }
  }

  destroy() {
    for (const chart of this.charts) chart.destroy();
    if (this.watching) {
      this.socket.emit("unwatch", { room_id: this.roomId }, () => {});
      this.socket.off("sample", this.onSample);
      this.socket.off("room", this.onRoom);
    }
  }
}
