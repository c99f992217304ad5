// The call screen: the other person's video, your own picture, mute, camera, connection quality,
// a reconnecting banner, Leave, and End session for the professional.
import { announce, confirmDialog, h } from "./dom.js";
import { Peer } from "./peer.js";
import { StatsSampler } from "./quality.js";
import { request } from "./session.js";

const STATS_EVERY_MS = 2000;
const QUALITY_TEXT = { good: "Good connection", fair: "Fair connection", poor: "Poor connection" };

export class Call {
  constructor({ room, socket, media, onLeave, onEnded }) {
    this.socket = socket;
    this.media = media;
    this.role = room.role;
    this.onLeave = onLeave;
    this.onEnded = onEnded;
    this.other = this.role === "professional" ? "client" : "professional";
    this.sampler = new StatsSampler();
    this.peer = new Peer({
      role: this.role,
      media,
      send: async (kind, payload) => {
        const ack = await request(socket, "signal", { to: this.other, kind, payload });
        if (!ack.ok) console.warn(`signal ${kind} refused: ${ack.error?.code}`);
        return ack;
      },
    });
    this.peer.setIceServers(room.ice_servers);
    this.peer.addEventListener("track", (e) => this.showRemote(e.detail));
    this.peer.addEventListener("state", (e) => this.peerState(e.detail));

    this.remote = h("video", {
      id: "remote-video",
      class: "remote-video",
      autoplay: true,
      playsInline: true,
      "aria-label": "Video of the other person",
    });
    this.local = h("video", {
      id: "local-video",
      class: "local-video mirror",
      autoplay: true,
      muted: true,
      playsInline: true,
      "aria-label": "Your own video",
    });
    this.local.srcObject = media.stream;
    this.placeholderText = h("p", {}, "Connecting…");
    this.placeholder = h("div", { class: "remote-placeholder" }, h("span", { class: "pulse", "aria-hidden": "true" }), this.placeholderText);
    this.nameTag = h("span", { class: "name-tag" });
    this.banner = h("div", { class: "call-banner", role: "status", hidden: true });
    this.soundButton = h(
      "button",
      { type: "button", class: "button button-primary button-small sound-button", hidden: true, onclick: () => this.unmuteRemote() },
      "Turn on sound",
    );
    this.quality = h("span", { class: "quality", dataset: { quality: "unknown" } },
      h("span", { class: "bars", "aria-hidden": "true" }, h("i"), h("i"), h("i")),
      h("span", { class: "quality-text" }, "Checking connection"),
    );
    this.micButton = h("button", { type: "button", class: "control", "aria-pressed": "false", onclick: () => this.toggleMic() });
    this.camButton = h("button", { type: "button", class: "control", "aria-pressed": "false", onclick: () => this.toggleCamera() });
    this.title = h("h1", { class: "visually-hidden" }, "Your session");
    const controls = [
      this.micButton,
      this.camButton,
      h("button", { type: "button", class: "control control-leave", onclick: () => this.leave() }, "Leave"),
    ];
    if (this.role === "professional") {
      controls.push(h("button", { type: "button", class: "control control-end", onclick: () => this.end() }, "End session"));
    }
    this.element = h(
      "section",
      { class: "screen call", dataset: { screen: "call" } },
      this.title,
      this.banner,
      h(
        "div",
        { class: "stage" },
        this.remote,
        this.placeholder,
        this.nameTag,
        this.soundButton,
        h(
          "div",
          { class: "local-frame" },
          this.local,
          h("span", { class: "local-off", "aria-hidden": "true" }, "Your camera is off"),
        ),
      ),
      h("div", { class: "controls", role: "toolbar", "aria-label": "Call controls" }, this.quality, h("div", { class: "control-group" }, controls)),
    );
    this.onMedia = () => {
      if (this.local.srcObject !== media.stream) this.local.srcObject = media.stream;
      this.renderControls();
    };
    media.addEventListener("change", this.onMedia);
    this.renderControls();
    this.timer = setInterval(() => this.reportStats(), STATS_EVERY_MS);
    this.problems = { self: false, peer: false, media: false };
    this.update(room);
  }

  update(room) {
    const other = room[this.other];
    this.otherName = other?.name ?? (this.other === "client" ? "your client" : "your professional");
    this.title.textContent = `Your session with ${this.otherName}`;
    this.nameTag.textContent = this.otherName;
    this.presence = other?.presence;
    if (!this.hasRemote) this.placeholderText.textContent = this.waitingText();
    if (room.ice_servers) this.peer.setIceServers(room.ice_servers);
    if (this.local.srcObject !== this.media.stream) this.local.srcObject = this.media.stream;
    this.setProblem("peer", other?.presence === "reconnecting");
  }

  waitingText() {
    if (this.presence === "left") return `${this.otherName} left the call. They can rejoin from their link.`;
    if (this.presence === "absent") return `Waiting for ${this.otherName} to join…`;
    return `Connecting to ${this.otherName}…`;
  }

  /** Professional: (re)start the media connection with a new offer. */
  start() {
    if (this.role === "professional") this.peer.offer();
  }

  signal(message) {
    this.peer.handle(message);
  }

  showRemote(stream) {
    this.hasRemote = true;
    this.watchFrames();
    if (this.remote.srcObject !== stream) this.remote.srcObject = stream;
    this.placeholder.hidden = true;
    this.remote.play().catch((err) => {
      if (err.name !== "NotAllowedError") return;
      // The browser blocks sound until the person interacts with the page.
      this.remote.muted = true;
      this.remote.play().catch(() => {});
      this.soundButton.hidden = false;
    });
  }

  /** Mark the first decoded remote frame (read by the benchmark) and flag video as live. */
  watchFrames() {
    if (this.watching || !this.remote.requestVideoFrameCallback) return;
    this.watching = true;
    this.remote.requestVideoFrameCallback(() => {
      this.watching = false;
      this.element.dataset.remote = "playing";
      performance.mark("sessionsvc:remote-frame");
    });
  }

  unmuteRemote() {
    this.remote.muted = false;
    this.remote.play().catch(() => {});
    this.soundButton.hidden = true;
  }

  peerState(state) {
    this.element.dataset.peer = state;
    if (state === "new") delete this.element.dataset.remote;
    if (state === "connected") setTimeout(() => this.reportStats(), 500);
    this.setProblem("media", state === "disconnected" || state === "failed");
    if (state === "connected") announce(`Connected with ${this.otherName}.`);
    if (state === "failed" && this.role === "client") this.peer.requestRestart();
    if (state === "failed" && this.role === "professional") this.peer.offer();
  }

  /** Our own signaling connection dropped or came back. */
  setOffline(offline) {
    this.setProblem("self", offline);
  }

  peerReconnecting() {
    this.setProblem("peer", true);
  }

  peerJoined({ resumed }) {
    this.setProblem("peer", false);
    if (resumed) announce(`${this.otherName} is back.`);
    if (resumed && this.role === "professional") this.peer.offer();
  }

  peerLeft() {
    this.setProblem("peer", false);
    this.hasRemote = false;
    this.remote.srcObject = null;
    this.placeholder.hidden = false;
    this.presence = "left";
    this.placeholderText.textContent = this.waitingText();
    announce(`${this.otherName} left the call.`);
  }

  setProblem(kind, on) {
    this.problems[kind] = on;
    let text = "";
    if (this.problems.self) text = "Reconnecting… Your connection to the session dropped. Hold on, this usually takes a few seconds.";
    else if (this.problems.peer) text = `Reconnecting… ${this.otherName}’s connection dropped. Their place is kept.`;
    else if (this.problems.media) text = "Reconnecting… The video connection is interrupted.";
    this.banner.textContent = text;
    this.banner.hidden = !text;
  }

  renderControls() {
    const m = this.media;
    this.micButton.textContent = m.micOn ? "Mute" : "Unmute";
    this.micButton.setAttribute("aria-pressed", String(!m.micOn));
    this.micButton.disabled = !m.audioTrack;
    this.camButton.textContent = m.cameraOn ? "Camera off" : "Camera on";
    this.camButton.setAttribute("aria-pressed", String(!m.cameraOn));
    this.camButton.disabled = !m.videoTrack;
    this.element.dataset.camera = m.cameraOn && m.videoTrack ? "on" : "off";
  }

  toggleMic() {
    this.media.setMic(!this.media.micOn);
    announce(this.media.micOn ? "Microphone on." : "Microphone muted.");
  }

  toggleCamera() {
    this.media.setCamera(!this.media.cameraOn);
    announce(this.media.cameraOn ? "Camera on." : "Camera off.");
  }

  async reportStats() {
    const pc = this.peer.pc;
    if (!pc || !this.socket.connected) return;
    let summary;
    try {
      summary = await this.sampler.sample(pc);
    } catch {
      return;
    }
    this.quality.dataset.quality = summary.quality;
    this.quality.querySelector(".quality-text").textContent = QUALITY_TEXT[summary.quality];
    request(this.socket, "stats", summary, 4000);
  }

  async leave() {
    if (this.role === "professional") {
      const yes = await confirmDialog({
        title: "Leave the call?",
        body: "The session stays open and you can rejoin from your link. To finish it, use “End session”.",
        confirm: "Leave",
        cancel: "Stay",
      });
      if (!yes) return;
    }
    this.onLeave();
  }

  async end() {
    const yes = await confirmDialog({
      title: "End the session for both of you?",
      body: `${this.otherName} will see that the session has ended.`,
      confirm: "End session",
      cancel: "Keep talking",
      tone: "danger",
    });
    if (!yes) return;
    const ack = await request(this.socket, "end", {});
    if (!this.element.isConnected) return; // the summary arrived first and replaced this screen
    if (ack.ok) this.onEnded(ack.summary);
    else announce(ack.error?.message ?? "Could not end the session. Please try again.");
  }

  destroy() {
    clearInterval(this.timer);
    this.media.removeEventListener("change", this.onMedia);
    this.peer.close();
    this.remote.srcObject = null;
    this.local.srcObject = null;
  }
}
