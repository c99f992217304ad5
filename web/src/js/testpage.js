// The /test page: runs the connection test (connectioncheck.js) on request and shows its report
// with the id a person reads out to support. No token and no camera are needed.
import { runConnectionTest } from "./connectioncheck.js";
import { announce, fill, h, mount } from "./dom.js";
import { reportCard, sentence } from "./testreport.js";

const BUSY = {
  at_capacity: "Our test server is busy right now.",
  rate_limited: "You have run several tests in a short time.",
  no_webrtc: "This browser cannot make video calls. Please open this page in Google Chrome.",
};

class TestPage {
  constructor() {
    this.progressFill = h("span", { class: "progress-fill" });
    this.progress = h(
      "div",
      { class: "progress", role: "progressbar", "aria-label": "Test progress", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": "0", hidden: true },
      this.progressFill,
    );
    this.stage = h("p", { class: "test-stage", hidden: true });
    this.result = h("div", { class: "result-slot" });
    this.button = h("button", { type: "button", class: "button button-primary", onclick: () => this.run() }, "Start the test");
    this.element = h(
      "section",
      { class: "screen testpage", dataset: { screen: "test", state: "ready" } },
      h(
        "div",
        { class: "page-head" },
        h("p", { class: "eyebrow" }, "Before your session"),
        h("h1", {}, "Test your connection"),
        h(
          "p",
          { class: "lede" },
          "See how well video sessions will work from where you are. The test takes about ten " +
            "seconds and sends a test picture to our server and back; your camera is not used " +
            "and nothing is recorded.",
        ),
      ),
      h("div", { class: "card test-card" }, h("div", { class: "actions" }, this.button), this.progress, this.stage),
      this.result,
    );
  }

  setStage(text, fraction) {
    this.stage.hidden = false;
    this.stage.textContent = text;
    this.progress.hidden = false;
    const pct = Math.round(fraction * 100);
    this.progressFill.style.transform = `scaleX(${fraction})`;
    this.progress.setAttribute("aria-valuenow", String(pct));
  }

  async run() {
    this.button.disabled = true;
    this.element.dataset.state = "running";
    fill(this.result);
    this.setStage("Connecting to our test server…", 0.02);
    announce("Connection test started.");
    try {
      const report = await runConnectionTest({
        onProgress: ({ stage, fraction }) => {
          if (stage === "measuring") this.setStage("Measuring your connection…", fraction);
        },
      });
      this.progress.hidden = true;
      this.stage.hidden = true;
      this.element.dataset.state = "done";
      fill(this.result, reportCard(report));
      announce(`${sentence(report.reason)} Test ID ${report.id}.`);
    } catch (error) {
      this.progress.hidden = true;
      this.element.dataset.state = "error";
      const wait = error.retryAfter ? ` Please try again in ${error.retryAfter} seconds.` : " Please try again.";
      const text = (BUSY[error.code] ?? "The test could not run.") + (error.code === "no_webrtc" ? "" : wait);
      this.stage.hidden = false;
      this.stage.textContent = "";
      fill(this.result, h("div", { class: "callout callout-warning", role: "alert" }, h("p", {}, text)));
      announce(text);
    } finally {
      this.button.disabled = false;
      this.button.textContent = "Run the test again";
    }
  }
}

mount(new TestPage().element);
