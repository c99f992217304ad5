// The join page: device check → waiting room → call → summary, driven by the server's `room`
// snapshots and events (docs/events.md). One App per page; names never go to the console.
import { detectBrowser } from "./browser.js";
import { Call } from "./call.js";
import { runConnectionTest } from "./connectioncheck.js";
import { DeviceCheck } from "./devicecheck.js";
import { announce, h, mount } from "./dom.js";
import { connectErrorScreen, deniedScreen, leftScreen, missingTokenScreen, replacedScreen } from "./endings.js";
import { LocalMedia } from "./media.js";
import { connect, request, tokenRoom } from "./session.js";
import { summaryScreen } from "./summary.js";
import { ClientWaiting, ProfessionalWaiting } from "./waiting.js";

const TERMINAL = new Set(["completed", "not_held", "cancelled", "expired"]);
const CHECKED_KEY = "sessionsvc.checked";

class App {
  constructor(token) {
    this.browser = detectBrowser();
    this.media = new LocalMedia();
    this.room = null;
    this.stage = null; // "check" | "waiting" | "call" | "done"
    this.view = null;
    // The first `room` of every connection decides whether the professional offers again.
    // The server sends it before socket.io's "connect" event fires, so the flag is set here
    // and on every disconnect rather than in a "connect" handler.
    this.needOffer = true;
    this.leaving = false;
    this.netBanner = h("div", { class: "net-banner", role: "status", hidden: true });
    document.body.prepend(this.netBanner);
    this.token = token;
    // a page opens on the device check unless this tab already did it for this room
    this.checkedBefore = sessionStorage.getItem(CHECKED_KEY) === tokenRoom(token);
    this.socket = connect(token, () => this.stage === "check" || (this.stage === null && !this.checkedBefore));
    this.wire(this.socket);
  }

  get role() {
    return this.room?.role;
  }

  wire(socket) {
    socket.on("connect", () => this.setOffline(false));
    socket.on("disconnect", (reason) => {
      this.needOffer = true;
      if (this.stage === "done" || this.leaving) return;
      if (reason !== "io server disconnect" && reason !== "io client disconnect") this.setOffline(true);
    });
    socket.on("connect_error", (err) => {
      const code = err?.data?.code;
      if (code) {
        socket.disconnect();
        this.done(connectErrorScreen(code, this.role, err.data));
      } else if (this.room) {
        this.setOffline(true);
      }
    });
    socket.on("room", (room) => {
      this.room = room;
      this.route();
    });
    socket.on("funding", (view) => {
      if (!this.room) return;
      this.room = { ...this.room, funding: view };
      if (this.stage === "waiting") this.view.update(this.room);
    });
    socket.on("admitted", (info) => {
      if (!this.room) return;
      this.room = { ...this.room, admitted: true, ice_servers: info?.ice_servers ?? null };
      this.toCall();
      if (this.role === "professional") this.view.start();
    });
    socket.on("signal", (message) => {
      // never pull someone out of the device check: the server admits them once they are ready
      if (this.stage === "waiting" && this.room?.admitted) this.toCall();
      if (this.stage === "call") this.view.signal(message);
    });
    socket.on("peer_joined", (info) => this.stage === "call" && this.view.peerJoined(info ?? {}));
    socket.on("peer_reconnecting", () => this.stage === "call" && this.view.peerReconnecting());
    socket.on("peer_left", () => this.stage === "call" && this.view.peerLeft());
    socket.on("denied", (info) => this.done(deniedScreen(info)));
    socket.on("replaced", () => this.done(replacedScreen()));
    // the server sends the summary just before `ended`: the summary is what is shown
    socket.on("summary", (summary) => this.finish(summary));
    socket.on("error", (info) => info?.message && announce(info.message));
  }

  route() {
    const room = this.room;
    if (TERMINAL.has(room.phase)) {
      this.finish(room.summary);
      return;
    }
    if (this.stage === "done") return;
    const offer = this.needOffer;
    this.needOffer = false;
    if (room.admitted) {
      this.toCall();
      if (offer && this.role === "professional") this.view.start();
      return;
    }
    if (this.stage === null) {
      if (sessionStorage.getItem(CHECKED_KEY) === room.room_id) this.toWaiting();
      else this.toCheck();
      return;
    }
    if (this.stage === "waiting" && room.me && !room.me.ready) request(this.socket, "ready", {});
    this.view?.update(room);
  }

  show(stage, view) {
    if (this.stage === "check" && stage !== "check") this.checkAbort?.abort();
    this.view?.destroy?.();
    this.stage = stage;
    this.view = view;
    if (view) mount(view.element);
  }

  toCheck() {
    const check = new DeviceCheck({
      media: this.media,
      browser: this.browser,
      role: this.role,
      onContinue: () => this.continueFromCheck(),
    });
    this.show("check", check);
    check.update(this.room);
    check.setConnection(null);
    this.media.start().then(() => request(this.socket, "device", this.deviceReport()));
    // the same test as the /test page, with this link's token: no camera needed; it stops
    // when the person moves on, so that it never competes with the call for the upload
    this.checkAbort = new AbortController();
    runConnectionTest({ token: this.token, signal: this.checkAbort.signal }).then(
      (report) => this.view === check && check.setConnection({ report }),
      (error) => this.view === check && check.setConnection({ error }),
    );
  }

  continueFromCheck() {
    sessionStorage.setItem(CHECKED_KEY, this.room.room_id);
    request(this.socket, "device", this.deviceReport());
    this.toWaiting();
    // ready: the professional now sees it, and a client already admitted goes in
    request(this.socket, "ready", {});
  }

  toWaiting() {
    const onLeave = () => this.leave(false);
    const view =
      this.role === "professional"
        ? new ProfessionalWaiting({ media: this.media, socket: this.socket, onLeave })
        : new ClientWaiting({ media: this.media, onLeave });
    this.show("waiting", view);
    view.update(this.room);
    performance.mark("sessionsvc:waiting");
    if (!this.media.stream) {
      this.media.start().then(() => request(this.socket, "device", this.deviceReport()));
    }
  }

  toCall() {
    if (this.stage === "call") {
      this.view.update(this.room);
      return;
    }
    if (this.stage === "done") return;
    this.media.ready();
    const call = new Call({
      room: this.room,
      socket: this.socket,
      media: this.media,
      onLeave: () => this.leave(true),
      onEnded: (summary) => summary && this.finish(summary),
    });
    this.show("call", call);
    announce("You are in the session.");
  }

  async leave(inCall) {
    this.leaving = true;
    await request(this.socket, "leave", {}, 3000);
    this.done(leftScreen(inCall));
  }

  finish(summary) {
    if (this.stage === "done" && this.finalSummary) return;
    this.finalSummary = summary;
    this.done(summaryScreen(summary));
  }

  /** A final screen: stop the media and the connection. */
  done(element) {
    this.checkAbort?.abort();
    this.view?.destroy?.();
    this.view = null;
    this.stage = "done";
    this.media.stop();
    this.setOffline(false);
    mount(element);
    setTimeout(() => this.socket.disconnect(), 0);
  }

  setOffline(offline) {
    if (this.stage === "call") {
      this.view.setOffline(offline);
      this.netBanner.hidden = true;
      return;
    }
    this.netBanner.textContent = offline
      ? "Reconnecting… Your connection to the session dropped. This page keeps trying."
      : "";
    this.netBanner.hidden = !offline;
  }

  deviceReport() {
    const states = new Set(["granted", "denied", "prompt", "unknown"]);
    const p = this.media.permissions;
    return {
      browser: { name: this.browser.name, version: String(this.browser.version ?? "") },
      permissions: {
        camera: states.has(p.camera) ? p.camera : "unknown",
        microphone: states.has(p.microphone) ? p.microphone : "unknown",
      },
    };
  }
}

const token = new URLSearchParams(location.search).get("token");
if (token) {
  new App(token);
} else {
  mount(missingTokenScreen());
}
