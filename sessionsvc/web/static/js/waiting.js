// The waiting room: the client waits to be let in; the professional sees who is waiting, how the
// session is funded, and admits, denies or leaves a note.
import { announce, confirmDialog, fill, h } from "./dom.js";
import { clientFunding, professionalFunding } from "./funding.js";
import { sessionTime } from "./format.js";
import { request } from "./session.js";

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
      ? "This is how you will appear. Nobody sees or hears you until the session starts."
      : "Your camera and microphone are off, so you will not be seen or heard. " +
        "You can allow them in the address bar, then try again.";
  }

  destroy() {
    this.media.removeEventListener("change", this.onChange);
    this.video.srcObject = null;
  }
}

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
          { class: "actions actions-end" },
          h("button", { type: "button", class: "button button-quiet", onclick: onLeave }, "Leave the waiting room"),
        ),
      ),
    );
    this.lastFunding = null;
  }

  update(room) {
    const pro = room.professional?.name ?? "your professional";
    this.title.textContent = `Waiting for ${pro} to let you in`;
    this.when.textContent = `Your session: ${sessionTime(room.scheduled_start, room.scheduled_end)}`;
    const presence = room.professional?.presence;
    this.status.textContent =
      presence === "present"
        ? `${pro} knows you are here and will let you in shortly.`
        : `${pro} has not joined yet. You will be let in when they are ready.`;
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
    this.title = h("h1", {}, "Your waiting room");
    this.when = h("p", { class: "when" });
    this.status = h("p", { class: "presence" });
    this.funding = h("div", { class: "funding-slot" });
    this.admitButton = h(
      "button",
      { type: "button", class: "button button-primary", onclick: () => this.admit(false) },
      "Admit",
    );
    this.denyButton = h(
      "button",
      { type: "button", class: "button button-quiet", onclick: () => this.deny() },
      "Deny",
    );
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
          h("div", { class: "pulse-row" }, h("span", { class: "pulse", "aria-hidden": "true" }), this.status),
          h("div", { class: "actions" }, this.admitButton, this.denyButton),
          this.feedback,
          this.funding,
        ),
        h(
          "div",
          { class: "pro-side" },
          h("div", { class: "card" }, noteForm),
          h(
            "div",
            { class: "card self-card" },
            this.self.frame,
            this.self.text,
            h(
              "button",
              { type: "button", class: "button button-quiet button-small", onclick: onLeave },
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
    const presence = room.client?.presence;
    const here = presence === "present";
    this.element.dataset.client = presence ?? "absent";
    if (here) {
      this.title.textContent = `${client} is in the waiting room`;
      this.status.textContent = "Let them in when you are ready.";
    } else if (presence === "reconnecting") {
      this.title.textContent = `${client}’s connection dropped`;
      this.status.textContent = "Their place is kept while they reconnect.";
    } else {
      this.title.textContent = `Waiting for ${client} to arrive`;
      this.status.textContent = "You can admit them as soon as they join.";
    }
    if (this.wasHere === false && here) announce(`${client} has arrived in the waiting room.`);
    this.wasHere = here;
    this.when.textContent = `Session: ${sessionTime(room.scheduled_start, room.scheduled_end)}`;
    this.admitButton.textContent = `Admit ${client}`;
    this.admitButton.disabled = !here || this.busy;
    this.denyButton.disabled = !here || this.busy;
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
    if (this.room) this.update(this.room);
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
    const yes = await confirmDialog({
      title: `Deny ${client}?`,
      body: `${client} will be told that you did not let them in, and their link will stop working.`,
      confirm: "Deny",
      cancel: "Cancel",
      tone: "danger",
    });
    if (!yes) return;
    const ack = await request(this.socket, "deny", { participant_id: room.client.id });
    if (ack.ok) announce(`${client} was not let in.`);
    else this.feedback.textContent = ack.error?.message ?? "Could not deny. Please try again.";
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
    this.self.destroy();
  }
}
