// The device check: browser, camera and microphone permission (with help when blocked), camera
// preview, microphone level, device pickers and the connection test against the service's
// own peer (connectioncheck.js), with the id of its report.
import { announce, fill, h } from "./dom.js";
import { sessionTime } from "./format.js";
import { LevelMeter, playChime } from "./media.js";
import { sentence } from "./testreport.js";

const PICKERS = [
  ["videoinput", "Camera"],
  ["audioinput", "Microphone"],
  ["audiooutput", "Speaker"],
];

function row(label) {
  const value = h("span", { class: "check-value" }, "Checking…");
  const item = h(
    "li",
    { class: "check", dataset: { state: "pending" } },
    h("span", { class: "check-dot", "aria-hidden": "true" }),
    h("span", { class: "check-label" }, label),
    value,
  );
  return {
    item,
    set(state, text, detail = null) {
      item.dataset.state = state;
      fill(value, text, detail ? h("span", { class: "check-detail" }, detail) : null);
    },
  };
}

function blockedHelp(onRetry, onSkip) {
  return h(
    "section",
    { class: "callout callout-warning help", "aria-labelledby": "help-title" },
    h("h2", { id: "help-title" }, "Allow your camera and microphone"),
    h("p", {}, "Your browser is blocking them for this page. To allow them in Chrome:"),
    h(
      "ol",
      {},
      h("li", {}, "Click the camera icon or the site settings icon at the left of the address bar."),
      h("li", {}, "Set Camera and Microphone to “Allow”."),
      h("li", {}, "Press “Try again” below. If nothing changes, reload the page."),
    ),
    h(
      "p",
      { class: "small" },
      "On a Mac, also allow Chrome in System Settings → Privacy & Security → Camera and " +
        "Microphone. On Windows: Settings → Privacy & security → Camera and Microphone.",
    ),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: "button button-primary", onclick: onRetry }, "Try again"),
      h(
        "button",
        { type: "button", class: "button button-quiet", onclick: onSkip },
        "Continue without camera and microphone",
      ),
    ),
  );
}

const PROBLEMS = {
  NotReadableError:
    "Your camera or microphone is in use by another app. Close other video apps and try again.",
  NotFoundError: "We could not find a camera or microphone. Connect one and try again.",
  NotSupportedError: "This browser cannot use a camera here. Please open the link in Chrome.",
};

/** The device check screen. `onContinue` moves on to the waiting room. */
export class DeviceCheck {
  constructor({ media, browser, role, onContinue }) {
    this.media = media;
    this.browser = browser;
    this.onContinue = onContinue;
    this.rows = {
      browser: row("Browser"),
      camera: row("Camera"),
      microphone: row("Microphone"),
      connection: row("Connection"),
    };
    this.video = h("video", {
      class: "preview-video mirror",
      autoplay: true,
      muted: true,
      playsInline: true,
      "aria-label": "Your camera preview",
    });
    this.previewNote = h("p", { class: "preview-note" }, "Waiting for your camera…");
    this.meterFill = h("span", { class: "meter-fill" });
    this.meter = h(
      "div",
      {
        class: "meter",
        role: "meter",
        "aria-label": "Microphone level",
        "aria-valuemin": "0",
        "aria-valuemax": "100",
        "aria-valuenow": "0",
      },
      this.meterFill,
    );
    this.meterRow = h(
      "div",
      { class: "meter-row", hidden: true },
      h("span", { class: "meter-label", "aria-hidden": "true" }, "Mic"),
      this.meter,
    );
    this.heard = false;
    this.levels = new LevelMeter((level, enabled) => this.showLevel(level, enabled));
    this.pickerFields = h("div", { class: "picker-fields" });
    this.pickers = h(
      "details",
      { class: "pickers", hidden: true },
      h("summary", {}, "Change camera, microphone or speaker"),
      this.pickerFields,
    );
    this.help = h("div", { class: "help-slot" });
    this.eyebrow = h("p", { class: "eyebrow" }, "Before your session");
    this.continueLabel = role === "professional" ? "Continue to your waiting room" : "Continue to the waiting room";
    this.continueButton = h(
      "button",
      { type: "button", class: "button button-primary", dataset: { primary: "" }, onclick: () => this.onContinue() },
      this.continueLabel,
    );
    this.letIn = h("div", { class: "callout callout-info let-in", role: "status", dataset: { testid: "let-in" }, hidden: true });
    this.actions = h("div", { class: "actions" }, this.continueButton);
    this.banner = this.browserBanner();
    this.element = h(
      "section",
      { class: "screen devicecheck", dataset: { screen: "devicecheck" } },
      h(
        "div",
        { class: "page-head" },
        this.eyebrow,
        h("h1", {}, "Check your camera and microphone"),
        h(
          "p",
          { class: "lede" },
          "Take a moment to make sure you can be seen and heard. Nothing is recorded.",
        ),
      ),
      this.banner,
      h(
        "div",
        { class: "check-grid" },
        h(
          "div",
          { class: "preview-col" },
          h("div", { class: "preview" }, this.video, this.previewNote),
          this.meterRow,
          this.help,
        ),
        h(
          "div",
          { class: "side-col" },
          h("ul", { class: "checklist" }, Object.values(this.rows).map((r) => r.item)),
          this.letIn,
          this.actions,
          this.pickers,
        ),
      ),
    );
    this.onMediaChange = () => this.render();
    media.addEventListener("change", this.onMediaChange);
    this.render();
  }

  browserBanner() {
    const b = this.browser;
    const label = `${b.name}${b.version ? ` ${b.version}` : ""}`;
    if (b.recommended) {
      this.rows.browser.set("ok", b.name === "Chrome" ? `${label}: recommended` : `${label}: works well`);
      return null;
    }
    this.rows.browser.set("warn", `${label}: Chrome recommended`);
    return h(
      "div",
      { class: "callout callout-info banner-browser", role: "note" },
      h("p", {}, h("strong", {}, "For the best experience, use Google Chrome.")),
      h(
        "p",
        {},
        `You are using ${b.name}. Your session may still work here, but video and sound are ` +
          "most reliable in Chrome. You can copy this page’s link into Chrome at any time.",
      ),
    );
  }

  /** Names and time, once the room snapshot is known. */
  update(room) {
    const other = room.role === "professional" ? room.client : room.professional;
    const when = sessionTime(room.scheduled_start, room.scheduled_end);
    this.eyebrow.textContent = `Your session with ${other?.name ?? ""} · ${when}`;
    // admitted while still checking: the session starts as soon as this person continues
    const waitedFor = room.role === "client" && room.admit_requested;
    if (waitedFor && this.letIn.hidden) {
      this.letIn.textContent = `${other?.name ?? "Your professional"} is ready to let you in. Continue when your camera and microphone are set: you’ll join the session straight away.`;
      announce(this.letIn.textContent);
    }
    this.letIn.hidden = !waitedFor;
    this.continueButton.textContent = waitedFor ? "Join the session" : this.continueLabel;
  }

  /** The connection test's outcome: `{report}` (GET /v1/diagnostics/tests/{id}) or `{error}`;
   * nothing while it runs. */
  setConnection(result) {
    const row = this.rows.connection;
    if (!result) {
      row.set("pending", "Testing your connection…");
      return;
    }
    const { report, error } = result;
    if (error) {
      const busy = error.code === "at_capacity" || error.code === "rate_limited";
      row.set("warn", busy ? "Could not test it right now: our test server is busy" : "Could not be tested");
      return;
    }
    this.element.dataset.connection = report.grade ?? "poor";
    const id = `Test ID ${report.id}`;
    if (report.grade === "good") row.set("ok", "Good", id);
    else if (report.grade === "fair") row.set("warn", `Fair: ${sentence(report.reason)}`, id);
    else row.set("bad", `Poor: ${sentence(report.reason)}`, id);
  }

  showLevel(level, enabled) {
    const pct = Math.round(level * 100);
    this.meterFill.style.transform = `scaleX(${enabled ? level : 0})`;
    this.meter.setAttribute("aria-valuenow", String(pct));
    if (level > 0.2 && enabled && !this.heard) {
      this.heard = true;
      this.render();
    }
  }

  render() {
    const m = this.media;
    const blocked = m.permissions.camera === "denied" || m.permissions.microphone === "denied";
    const video = m.videoTrack;
    const audio = m.audioTrack;
    if (this.video.srcObject !== m.stream) {
      this.video.srcObject = m.stream;
      this.levels.attach(audio);
    }
    this.element.dataset.media = blocked ? "blocked" : m.stream ? "ok" : "pending";
    this.meterRow.hidden = !audio;
    if (video) this.rows.camera.set("ok", video.label ? `Working: ${video.label}` : "Working");
    else if (m.permissions.camera === "denied") this.rows.camera.set("bad", "Blocked by the browser");
    else if (m.error) this.rows.camera.set("bad", "Not available");
    else this.rows.camera.set("pending", "Waiting for permission…");
    if (audio) {
      this.rows.microphone.set(
        "ok",
        this.heard ? "Working: we can hear you" : "Working: say something to test it",
      );
    } else if (m.permissions.microphone === "denied") {
      this.rows.microphone.set("bad", "Blocked by the browser");
    } else if (m.error) this.rows.microphone.set("bad", "Not available");
    else this.rows.microphone.set("pending", "Waiting for permission…");

    if (blocked) {
      this.previewNote.textContent = "Camera blocked";
      fill(
        this.help,
        blockedHelp(
          () => m.start(),
          () => this.onContinue(),
        ),
      );
      this.actions.hidden = true;
    } else {
      this.previewNote.textContent = m.error ? (PROBLEMS[m.error] ?? "Camera not available") : "Waiting for your camera…";
      fill(this.help, m.error && PROBLEMS[m.error] ? this.problem(m.error) : null);
      this.actions.hidden = false;
    }
    this.renderPickers();
  }

  problem(error) {
    return h(
      "div",
      { class: "callout callout-warning" },
      h("p", {}, PROBLEMS[error]),
      h(
        "button",
        { type: "button", class: "button button-quiet", onclick: () => this.media.start() },
        "Try again",
      ),
    );
  }

  renderPickers() {
    const m = this.media;
    const focused = this.pickerFields.contains(document.activeElement)
      ? document.activeElement.id
      : null;
    const canPickSpeaker = "setSinkId" in HTMLMediaElement.prototype;
    const fields = [];
    for (const [kind, label] of PICKERS) {
      const list = m.devices[kind];
      if (!list.length || (kind === "audiooutput" && !canPickSpeaker)) continue;
      const id = `pick-${kind}`;
      const current = m.current(kind);
      const select = h(
        "select",
        { id, onchange: (e) => m.choose(kind, e.target.value) },
        list.map((d, i) =>
          h(
            "option",
            { value: d.deviceId, selected: d.deviceId === current },
            d.label || `${label} ${i + 1}`,
          ),
        ),
      );
      const extra =
        kind === "audiooutput"
          ? h(
              "button",
              { type: "button", class: "button button-quiet button-small", onclick: () => playChime(m.current(kind)) },
              "Play test sound",
            )
          : null;
      fields.push(h("div", { class: "field" }, h("label", { for: id }, label), h("div", { class: "field-row" }, select, extra)));
    }
    const signature = JSON.stringify(
      [Boolean(m.stream)].concat(PICKERS.map(([kind]) => [m.current(kind), m.devices[kind].map((d) => d.deviceId + d.label)])),
    );
    if (signature === this.pickerSignature) return;
    this.pickerSignature = signature;
    fill(this.pickerFields, fields);
    this.pickers.hidden = fields.length === 0 || !m.stream;
    if (focused) document.getElementById(focused)?.focus();
  }

  destroy() {
    this.media.removeEventListener("change", this.onMediaChange);
    this.levels.close();
    this.video.srcObject = null;
  }
}
