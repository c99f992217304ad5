// The waiting room: the client waits to be let in; the professional sees who is there and in
// which state (not here yet, checking devices, ready, joining after the check, reconnecting),
// how the session is funded, and admits, declines or leaves a note.
import { Arrival } from "./arrival.js";
import { announce, confirmDialog, fill, h } from "./dom.js";
import { clientFunding, professionalFunding } from "./funding.js";
import { sessionTime } from "./format.js";
import { request } from "./session.js";
import { ADMIT, CLIENT_PRESENCE, CLIENT_PRESENCE_NEWS, professionalPresence } from "./texts.js";

const NOTE_MAX = 280;

/** Your own picture while waiting, or what to do when the camera and microphone are off. */
class SelfView {
  constructor(media) {
    this.media = media;
    this.video = h("video", {
      class: "self-video mirror",
      autoplay: true,
      muted: true,
      playsInline: true,
      "aria-label": "Your camera preview",
    });
    this.caption = h("p", { class: "small muted" });
    this.retry = h(
      "button",
      { type: "button", class: "button button-quiet button-small", onclick: () => media.start() },
      "Try my camera and microphone again",
    );
    this.frame = h("div", { class: "self-frame" }, this.video);
    this.text = h("div", { class: "self-text" }, this.caption, this.retry);
    this.onChange = () => this.render();
    media.addEventListener("change", this.onChange);
    this.render();
  }

  render() {
    const stream = this.media.stream;
    if (this.video.srcObject !== stream) this.video.srcObject = stream;
    this.frame.dataset.empty = String(!stream);
    this.retry.hidden = Boolean(stream);
    this.caption.textContent = stream
      ? "This is how you’ll appear. Nobody sees or hears you until the session starts."
      : "Your camera and microphone are off, so you won’t be seen or heard. " +
        "You can allow them in the address bar, then try again.";
  }

  destroy() {
    this.media.removeEventListener("change", this.onChange);
    this.video.srcObject = null;
  }
}

/** The client's state as the professional sees it. */
export function clientState(room) {
  const client = room.client ?? {};
  if (client.presence === "present") {
    if (room.admit_requested) return "pending";
    return client.ready ? "ready" : "checking";
  }
  if (client.presence === "reconnecting" || client.presence === "left") return client.presence;
  return "absent";
}

/** A status dot with its words beside it: colour is never the only signal. */
function presenceBadge() {
  const label = h("span", { class: "presence-label" });
  const badge = h("span", { class: "presence-badge", dataset: { state: "absent", testid: "presence" } }, h("span", { class: "presence-dot", "aria-hidden": "true" }), label);
  return {
    element: badge,
    set(state, text) {
      badge.dataset.state = state;
      label.textContent = text;
    },
  };
}

const LEAVE_HINT = "If you leave, your professional will see that you’ve gone. You can come back from your link while the session is open.";

/** The client's waiting screen. */
export class ClientWaiting {
  constructor({ media, onLeave }) {
    this.media = media;
    this.title = h("h1", {}, "Waiting to be let in");
    this.when = h("p", { class: "when" });
    this.status = h("p", { class: "presence" });
    this.note = h("div", { class: "note-slot" });
    this.funding = h("div", { class: "funding-slot" });
    this.self = new SelfView(media);
    this.element = h(
      "section",
      { class: "screen waiting waiting-client", dataset: { screen: "waiting" } },
      h(
        "div",
        { class: "card waiting-card" },
        h("p", { class: "eyebrow" }, "Waiting room"),
        this.title,
        this.when,
        h("div", { class: "pulse-row" }, h("span", { class: "pulse", "aria-hidden": "true" }), this.status),
        this.note,
        this.funding,
        h("div", { class: "waiting-foot" }, this.self.frame, this.self.text),
        h(
          "div",
          { class: "actions actions-end leave-row" },
          h("p", { id: "leave-hint", class: "small muted" }, LEAVE_HINT),
          h("button", { type: "button", class: "button button-quiet", "aria-describedby": "leave-hint", onclick: onLeave }, "Leave the waiting room"),
        ),
      ),
    );
    this.lastFunding = null;
  }

  update(room) {
    const pro = room.professional?.name ?? "your professional";
    this.title.textContent = `Waiting for ${pro} to let you in`;
    this.when.textContent = `Your session: ${sessionTime(room.scheduled_start, room.scheduled_end)}`;
    const status = professionalPresence(pro, room.professional?.presence, room.professional?.ready);
    if (this.status.textContent && status !== this.status.textContent) announce(status);
    this.status.textContent = status;
    fill(
      this.note,
      room.note
        ? h(
            "figure",
            { class: "note", dataset: { testid: "note" } },
            h("figcaption", {}, `Note from ${pro}`),
            h("blockquote", {}, room.note),
          )
        : null,
    );
    if (this.lastNote !== undefined && room.note && room.note !== this.lastNote) {
      announce(`New note from ${pro}: ${room.note}`);
    }
    this.lastNote = room.note ?? null;
    this.setFunding(room.funding);
  }

  setFunding(view) {
    const key = JSON.stringify(view);
    if (key === this.lastFunding) return;
    if (this.lastFunding !== null && view?.headline) announce(view.headline);
    this.lastFunding = key;
    fill(this.funding, clientFunding(view));
  }

  destroy() {
    this.self.destroy();
  }
}

/** The professional's waiting screen. */
export class ProfessionalWaiting {
  constructor({ media, socket, onLeave }) {
    this.media = media;
    this.socket = socket;
    this.room = null;
    this.arrival = new Arrival();
    this.title = h("h1", {}, "Your waiting room");
    this.when = h("p", { class: "when" });
    this.badge = presenceBadge();
    this.status = h("p", { class: "presence" });
    this.funding = h("div", { class: "funding-slot" });
    this.admitButton = h(
      "button",
      { type: "button", class: "button button-primary", dataset: { primary: "" }, onclick: () => this.admit(false) },
      "Admit",
    );
    this.denyButton = h("button", { type: "button", class: "button button-quiet", onclick: () => this.deny() }, ADMIT.decline);
    this.feedback = h("p", { class: "feedback", role: "alert" });
    this.noteInput = h("textarea", {
      id: "note-text",
      rows: "2",
      maxlength: String(NOTE_MAX),
      "aria-describedby": "note-hint",
      oninput: () => this.countNote(),
    });
    this.noteHint = h("span", { id: "note-hint", class: "small muted" });
    this.currentNote = h("div", { class: "current-note" });
    this.self = new SelfView(media);
    const noteForm = h(
      "form",
      { class: "note-form", onsubmit: (e) => this.sendNote(e) },
      h("label", { for: "note-text" }, "Note to the waiting room"),
      this.noteInput,
      h(
        "div",
        { class: "field-row" },
        this.noteHint,
        h("button", { type: "submit", class: "button button-secondary button-small" }, "Send note"),
      ),
      this.currentNote,
    );
    this.element = h(
      "section",
      { class: "screen waiting waiting-professional", dataset: { screen: "waiting" } },
      h(
        "div",
        { class: "pro-grid" },
        h(
          "div",
          { class: "card waiting-card" },
          h("p", { class: "eyebrow" }, "Waiting room"),
          this.title,
          this.when,
          h("div", { class: "pulse-row" }, this.badge.element, this.status),
          h("div", { class: "actions" }, this.admitButton, this.denyButton),
          this.feedback,
          this.funding,
        ),
        h(
          "div",
          { class: "pro-side" },
          h("div", { class: "card" }, this.arrival.element),
          h("div", { class: "card" }, noteForm),
          h(
            "div",
            { class: "card self-card" },
            this.self.frame,
            this.self.text,
            h("p", { id: "pro-leave-hint", class: "small muted" }, "If you leave, your client will see that you’ve gone. You can come back from your link."),
            h(
              "button",
              { type: "button", class: "button button-quiet button-small", "aria-describedby": "pro-leave-hint", onclick: onLeave },
              "Leave the waiting room",
            ),
          ),
        ),
      ),
    );
    this.countNote();
  }

  countNote() {
    this.noteHint.textContent = `${this.noteInput.value.length} / ${NOTE_MAX} characters`;
  }

  update(room) {
    this.room = room;
    const client = room.client?.name ?? "Your client";
    const state = clientState(room);
    const words = CLIENT_PRESENCE[state];
    this.element.dataset.client = state;
    this.title.textContent = words.title(client);
    this.status.textContent = words.status();
    this.badge.set(state, words.label);
    if (this.lastState !== undefined && state !== this.lastState) {
      const news = CLIENT_PRESENCE_NEWS[state](client);
      if (news) announce(news);
    }
    this.lastState = state;
    this.arrival.update(client, state);
    this.when.textContent = `Session: ${sessionTime(room.scheduled_start, room.scheduled_end)}`;
    const here = state === "ready" || state === "checking";
    this.admitButton.textContent = state === "pending" ? "Admitted: joining after their check" : `Admit ${client}`;
    this.admitButton.disabled = !here || this.busy;
    this.denyButton.disabled = !(here || state === "pending") || this.busy;
    const key = JSON.stringify([room.funding, room.hub, room.first_hub_session]);
    if (key !== this.fundingKey) {
      if (this.fundingKey && room.funding?.headline) announce(`Payment update: ${room.funding.headline}`);
      this.fundingKey = key;
      fill(this.funding, professionalFunding(room));
    }
    fill(
      this.currentNote,
      room.note
        ? [
            h("p", { class: "small" }, h("strong", {}, `Shown to ${client}: `), room.note),
            h(
              "button",
              { type: "button", class: "button button-link button-small", onclick: () => this.postNote("") },
              "Clear note",
            ),
          ]
        : h("p", { class: "small muted" }, "No note is shown. For example: “Running 5 minutes late.”"),
    );
  }

  setBusy(busy) {
    this.busy = busy;
    // an answer may come back after this screen gave way to the call
    if (this.room && this.element.isConnected) this.update(this.room);
  }

  async admit(override) {
    const room = this.room;
    if (!room) return;
    this.feedback.textContent = "";
    performance.mark("sessionsvc:admit");
    this.setBusy(true);
    const ack = await request(this.socket, "admit", { participant_id: room.client.id, override });
    this.setBusy(false);
    if (ack.ok) return;
    if (ack.error?.code === "card_required" && !override) {
      const client = room.client?.name ?? "The client";
      const yes = await confirmDialog({
        title: "Admit without a payment card?",
        body: [
          `${client} has no company credits left and no card on file.`,
          "If you admit them now, arranging payment for this session is your responsibility. " +
            "Your decision is recorded.",
        ],
        confirm: "Admit anyway",
        cancel: "Not now",
        tone: "warning",
      });
      if (yes) await this.admit(true);
      else this.admitButton.focus();
      return;
    }
    this.feedback.textContent = ack.error?.message ?? "Could not admit the client. Please try again.";
  }

  async deny() {
    const room = this.room;
    if (!room) return;
    const client = room.client?.name ?? "the client";
    const preview = room.decline_preview;
    const yes = await confirmDialog({
      title: ADMIT.declineTitle(client),
      body: [
        ADMIT.declineIntro(client),
        ...(preview ? [`“${preview.title}. ${preview.lines.join(" ")}”`] : []),
        ADMIT.declineAfter,
      ],
      confirm: ADMIT.decline,
      cancel: ADMIT.notNow,
      tone: "danger",
    });
    if (!yes) return;
    const ack = await request(this.socket, "deny", { participant_id: room.client.id });
    if (ack.ok) announce(`${client} was declined.`);
    else this.feedback.textContent = ack.error?.message ?? "Could not decline. Please try again.";
  }

  async sendNote(event) {
    event.preventDefault();
    await this.postNote(this.noteInput.value.trim());
  }

  async postNote(text) {
    const ack = await request(this.socket, "note", { text });
    if (ack.ok) {
      this.noteInput.value = "";
      this.countNote();
      announce(text ? "Note shown in the waiting room." : "Note cleared.");
    } else {
      this.feedback.textContent = ack.error?.message ?? "Could not send the note.";
    }
  }

  destroy() {
    this.arrival.destroy();
    this.self.destroy();
  }
}
