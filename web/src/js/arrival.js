// The professional notices a client who is ready, even from another tab: a soft chime (again,
// gently, while the client waits; a mute toggle remembered in this browser), the tab's title
// ("● Sam is waiting") and, once the professional has asked for them, desktop notifications.
import { announce, h } from "./dom.js";
import { playChime } from "./media.js";
import { ARRIVAL } from "./texts.js";

const CHIME_KEY = "sessionsvc.chime";
const REPEAT_MS = 45_000;
const REPEATS = 6;

/** The chime, title and notification of the professional's waiting room. */
export class Arrival {
  constructor() {
    this.baseTitle = document.title;
    this.muted = localStorage.getItem(CHIME_KEY) === "off";
    this.waiting = false;
    this.chimes = 0;
    this.chimeButton = h("button", {
      type: "button",
      class: "button button-quiet button-small",
      "aria-pressed": "false",
      dataset: { testid: "chime" },
      onclick: () => this.toggleChime(),
    });
    this.notifyButton = h(
      "button",
      { type: "button", class: "button button-quiet button-small", dataset: { testid: "notify" }, onclick: () => this.askNotify() },
      ARRIVAL.askNotify,
    );
    this.notifyText = h("p", { class: "small muted", dataset: { testid: "notify-state" } });
    this.element = h(
      "section",
      { class: "arrival", "aria-labelledby": "arrival-title" },
      h("h2", { id: "arrival-title" }, ARRIVAL.heading),
      h("p", { class: "small muted" }, ARRIVAL.chimeHint),
      h("div", { class: "field-row" }, this.chimeButton, this.notifyButton),
      this.notifyText,
    );
    this.render();
  }

  render() {
    this.chimeButton.textContent = this.muted ? ARRIVAL.chimeOff : ARRIVAL.chimeOn;
    this.chimeButton.setAttribute("aria-pressed", String(!this.muted));
    document.body.dataset.chime = this.muted ? "off" : "on";
    const supported = "Notification" in window;
    const permission = supported ? Notification.permission : "unsupported";
    this.notifyButton.hidden = permission !== "default";
    this.notifyText.textContent =
      permission === "granted" ? ARRIVAL.notifyOn : permission === "denied" ? ARRIVAL.notifyBlocked : permission === "default" ? ARRIVAL.notifyHint : "";
    this.notifyText.hidden = !this.notifyText.textContent;
  }

  toggleChime() {
    this.muted = !this.muted;
    localStorage.setItem(CHIME_KEY, this.muted ? "off" : "on");
    this.render();
    announce(this.muted ? "Chime turned off." : "Chime turned on.");
  }

  /** Ask for the notification permission only when the professional chooses to. */
  async askNotify() {
    try {
      await Notification.requestPermission();
    } catch {
      // an old browser without the promise form: nothing more to ask
    }
    this.render();
    announce(this.notifyText.textContent);
  }

  /** The client's state changed: `ready` starts the alerts, anything else stops them. */
  update(clientName, state) {
    if (this.closed) return;
    if (state === "ready" && !this.waiting) {
      this.waiting = true;
      document.title = ARRIVAL.title(clientName);
      this.chime();
      this.repeats = 0;
      this.timer = setInterval(() => {
        this.repeats += 1;
        if (this.repeats >= REPEATS) clearInterval(this.timer);
        this.chime();
      }, REPEAT_MS);
      this.notify(clientName);
    } else if (state !== "ready" && this.waiting) {
      this.stop();
    }
  }

  chime() {
    if (this.muted) return;
    this.chimes += 1;
    document.body.dataset.chimes = String(this.chimes);
    playChime().catch(() => {});
  }

  notify(clientName) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    if (document.visibilityState === "visible" && document.hasFocus()) return;
    try {
      const note = new Notification(ARRIVAL.notification(clientName), { body: ARRIVAL.notificationBody, tag: "sessionsvc-arrival" });
      note.onclick = () => {
        window.focus();
        note.close();
      };
    } catch {
      // notifications from pages are not allowed here (some mobile browsers)
    }
  }

  stop() {
    this.waiting = false;
    clearInterval(this.timer);
    document.title = this.baseTitle;
  }

  destroy() {
    this.closed = true;
    this.stop();
  }
}
