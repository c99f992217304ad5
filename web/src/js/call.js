// The call screen: the other person's video, your own picture, mute, camera, connection quality,
// a reconnecting banner, Leave, and End session for the professional.
import { announce, confirmDialog, fill, h } from "./dom.js";
import { duration } from "./format.js";
import { professionalFunding } from "./funding.js";
import { Peer } from "./peer.js";
import { StatsSampler } from "./quality.js";
import { request } from "./session.js";
import { CALL, heldWords } from "./texts.js";

const STATS_EVERY_MS = 2000;
const QUALITY_TEXT = { good: "good", fair: "fair", poor: "poor" };
const endClock = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });

/** "4:07" or "1:02:09": time since the session started. */
function clockText(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return hh ? `${hh}:${String(mm).padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
}

/** A connection-quality indicator: bars and a line of text, for one side of the call. */
function qualityIndicator(side) {
  return h(
    "span",
    { class: "quality", dataset: { quality: "unknown", side } },
    h("span", { class: "bars", "aria-hidden": "true" }, h("i"), h("i"), h("i")),
    h("span", { class: "quality-text" }, ""),
  );
}

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
    // fresh TURN credentials, pushed by the server before the ones in use expire
    this.onIceServers = (info) => this.peer.setIceServers(info?.ice_servers);
    socket.on("ice_servers", this.onIceServers);
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
    // Both grades come from the service, which measures both sides the same way.
    this.quality = qualityIndicator("you");
    this.otherQuality = qualityIndicator("other");
    this.grades = { you: null, other: null };
    this.onQuality = (q) => this.showQuality(q);
    socket.on("quality", this.onQuality);
    this.micButton = h("button", { type: "button", class: "control", "aria-pressed": "false", dataset: { primary: "" }, onclick: () => this.toggleMic() });
    this.camButton = h("button", { type: "button", class: "control", "aria-pressed": "false", onclick: () => this.toggleCamera() });
    this.title = h("h1", { class: "visually-hidden" }, "Your session");
    this.elapsed = h("span", { class: "elapsed", dataset: { testid: "elapsed" }, "aria-label": "Time in session" }, "0:00");
    this.endsAt = h("span", { class: "ends-at", dataset: { testid: "ends-at" } });
    this.heldNote = h("p", { class: "held-note", dataset: { testid: "held-note" }, hidden: true });
    this.fundingBody = h("div", { class: "call-funding-body" });
    this.fundingDetails =
      this.role === "professional"
        ? h("details", { class: "call-funding", dataset: { testid: "call-funding" } }, h("summary", {}, CALL.fundingToggle), this.fundingBody)
        : null;
    this.clock = setInterval(() => this.tick(), 1000);
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
      h(
        "div",
        { class: "call-bar" },
        h("span", { class: "call-time" }, this.elapsed, h("span", { "aria-hidden": "true" }, " · "), this.endsAt),
        this.heldNote,
        this.fundingDetails,
      ),
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
      h(
        "div",
        { class: "controls", role: "toolbar", "aria-label": "Call controls" },
        h("div", { class: "qualities", role: "status", "aria-label": "Connection quality" }, this.quality, this.otherQuality),
        h("div", { class: "control-group" }, controls),
      ),
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
    const wasHeld = this.room?.held;
    this.room = room;
    this.startedAt = room.admitted_at ? Date.parse(room.admitted_at) : (this.startedAt ?? Date.now());
    if (room.scheduled_end) this.endsAt.textContent = CALL.ends(endClock.format(new Date(room.scheduled_end)));
    this.heldNote.textContent = CALL.untilHeld(heldWords(room.min_held_seconds ?? 60));
    this.heldNote.hidden = Boolean(room.held);
    this.element.dataset.held = room.held ? "true" : "false";
    if (room.held && wasHeld === false) announce(CALL.held);
    const fundingKey = JSON.stringify([room.funding, room.hub]);
    if (this.fundingDetails && room.funding && fundingKey !== this.fundingKey) {
      this.fundingKey = fundingKey;
      fill(this.fundingBody, professionalFunding(room));
    }
    this.tick();
    const other = room[this.other];
    this.otherName = other?.name ?? (this.other === "client" ? "your client" : "your professional");
    this.title.textContent = `Your session with ${this.otherName}`;
    this.nameTag.textContent = this.otherName;
    this.presence = other?.presence;
    if (!this.hasRemote) this.placeholderText.textContent = this.waitingText();
    if (room.ice_servers) this.peer.setIceServers(room.ice_servers);
    if (this.local.srcObject !== this.media.stream) this.local.srcObject = this.media.stream;
    this.setProblem("peer", other?.presence === "reconnecting");
    this.renderQuality();
  }

  /** Seconds since the professional let the client in (the server's admission time). */
  seconds() {
    return (Date.now() - (this.startedAt ?? Date.now())) / 1000;
  }

  tick() {
    this.elapsed.textContent = clockText(this.seconds());
  }

  /** The service's grades of both sides (the `quality` event). */
  showQuality(q) {
    if (q?.you !== undefined) this.grades.you = q.you;
    if (q?.other !== undefined) this.grades.other = q.other;
    this.renderQuality();
  }

  renderQuality() {
    const sides = [
      [this.quality, this.grades.you, "Your connection"],
      [this.otherQuality, this.grades.other, `${this.otherName}’s connection`],
    ];
    for (const [element, grade, label] of sides) {
      if (!element) continue;
      const level = grade?.grade ?? "unknown";
      if (element.dataset.quality !== level) element.dataset.quality = level;
      const text = level === "unknown" ? `${label}: checking…` : `${label}: ${QUALITY_TEXT[level]}`;
      element.querySelector(".quality-text").textContent = text;
    }
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
    if (summary) request(this.socket, "stats", summary, 4000);
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
    const counted = Boolean(this.room?.held);
    const yes = await confirmDialog({
      title: CALL.endTitle,
      warning: counted ? null : CALL.endNotCounted(duration(this.seconds()), heldWords(this.room?.min_held_seconds ?? 60)),
      body: CALL.endBody(this.otherName),
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
    clearInterval(this.clock);
    this.socket.off("ice_servers", this.onIceServers);
    this.socket.off("quality", this.onQuality);
    this.media.removeEventListener("change", this.onMedia);
    this.peer.close();
    this.remote.srcObject = null;
    this.local.srcObject = null;
  }
}
