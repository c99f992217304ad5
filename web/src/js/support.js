// The support dashboard (/support): live rooms over the /support namespace, past sessions, a
// room's media diagnostics with charts, and connection-test reports. It runs on a support token
// (`sessionsvc support-token`), given as /support#token=… or pasted in; the token stays in this
// tab only (sessionStorage) and leaves the address bar at once.
import { io } from "socket.io-client";
import { announce, h, mount } from "./dom.js";
import { SupportApi } from "./support/api.js";
import { LiveRooms } from "./support/live.js";
import { PastSessions } from "./support/past.js";
import { RoomDetail } from "./support/room.js";
import { TestLookup } from "./support/tests.js";
import "../css/support.css";

const TOKEN_KEY = "sessionsvc.support-token";
const SIGNED_OUT = new Set(["invalid_token", "token_expired", "forbidden", "unauthorized"]);

function takeToken() {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    history.replaceState(null, "", `${location.pathname}#live`);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

class Dashboard {
  constructor(token) {
    this.api = new SupportApi(token);
    this.view = null;
    this.live = new LiveRooms({});
    this.past = new PastSessions({ api: this.api, onError: (e) => this.failed(e) });
    this.tests = new TestLookup({ api: this.api });
    this.socket = io(`${location.origin}/support`, { auth: { token }, transports: ["websocket"] });
    this.socket.on("live", ({ rooms }) => this.live.setAll(rooms));
    this.socket.on("room", (row) => this.live.upsert(row));
    this.socket.on("connect_error", (err) => {
      if (SIGNED_OUT.has(err?.data?.code)) this.failed({ code: err.data.code, message: err.data.message });
    });
    document.querySelector(".tabs").hidden = false;
    const signOut = document.querySelector(".sign-out");
    signOut.hidden = false;
    signOut.onclick = () => signIn("You are signed out.");
    window.addEventListener("hashchange", () => this.route());
    this.route();
  }

  route() {
    const hash = location.hash.replace(/^#/, "") || "live";
    const [tab, ...rest] = hash.split("/");
    for (const a of document.querySelectorAll(".tabs a")) {
      if (a.dataset.tab === tab) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
    if (this.view?.destroy && this.view !== this.live) this.view.destroy();
    if (tab === "room" && rest.length) {
      this.view = new RoomDetail({ api: this.api, socket: this.socket, roomId: decodeURIComponent(rest.join("/")), onError: (e) => this.failed(e) });
      mount(this.view.element);
      this.view.load();
      return;
    }
    this.view = { live: this.live, past: this.past, tests: this.tests }[tab] ?? this.live;
    mount(this.view.element);
    if (this.view === this.past && !this.past.searched) {
      this.past.searched = true;
      this.past.search();
    }
  }

  failed(err) {
    if (SIGNED_OUT.has(err?.code)) {
      this.socket.disconnect();
      signIn(err.code === "token_expired" ? "Your support token has expired: paste a new one." : "That token does not open the support dashboard.");
    } else {
      announce(err?.message ?? "Something went wrong.");
    }
  }
}

function signIn(message = "") {
  sessionStorage.removeItem(TOKEN_KEY);
  document.querySelector(".tabs").hidden = true;
  document.querySelector(".sign-out").hidden = true;
  const field = h("textarea", { id: "support-token", name: "token", rows: 4, required: true, spellcheck: false, autocomplete: "off" });
  const form = h(
    "form",
    {
      class: "card card-center sign-in",
      onsubmit: (e) => {
        e.preventDefault();
        const token = field.value.trim();
        if (!token) return;
        sessionStorage.setItem(TOKEN_KEY, token);
        location.hash = "#live";
        location.reload();
      },
    },
    h("h1", {}, "Support dashboard"),
    message ? h("p", { class: "notice", role: "alert" }, message) : null,
    h("label", { for: "support-token" }, "Support token"),
    field,
    h("p", { class: "muted" }, "Mint one with ", h("code", {}, "sessionsvc support-token --name YOU"), ". It stays in this tab only."),
    h("button", { type: "submit", class: "button button-primary" }, "Open the dashboard"),
  );
  mount(form);
}

const token = takeToken();
if (token) new Dashboard(token);
else signIn();
