// Connection-test reports by the short id a person reads out to support.
import { fill, h } from "../dom.js";
import { reportCard } from "../testreport.js";
import { when } from "./text.js";

// The facts of a report beside its figures, in the order a person asks for them.
const FACTS = [
  ["id", "Test id", (v) => v],
  ["state", "State", (v) => v],
  ["origin", "Run from", (v) => ({ test_page: "the connection test page", device_check: "a join link’s device check" })[v] ?? v],
  ["started_at", "Started", when],
  ["finished_at", "Finished", when],
  ["duration_s", "Measured for", (v) => `${Math.round(v)} s`],
];

export class TestLookup {
  constructor({ api }) {
    this.api = api;
    this.result = h("div", { class: "test-result", role: "status" });
    this.input = h("input", { id: "test-id", name: "id", type: "text", required: true, autocomplete: "off", spellcheck: false, placeholder: "e.g. K7QX-2MPA" });
    this.element = h(
      "section",
      { class: "panel", dataset: { view: "tests" } },
      h("div", { class: "panel-head" }, h("h1", {}, "Connection tests")),
      h("p", { class: "muted" }, "A person who ran the connection test can read you its id; look the report up here."),
      h(
        "form",
        { class: "filters", onsubmit: (e) => this.lookUp(e) },
        h("label", { for: "test-id" }, h("span", {}, "Test id"), this.input),
        h("button", { type: "submit", class: "button button-primary button-small" }, "Look up"),
      ),
      this.result,
    );
  }

  async lookUp(event) {
    event.preventDefault();
    const id = this.input.value.trim();
    if (!id) return;
    fill(this.result, h("p", { class: "muted" }, "Looking up…"));
    try {
      const report = await this.api.testReport(id);
      const facts = FACTS.filter(([key]) => report[key] !== undefined && report[key] !== null).map(([key, label, show]) =>
        h("div", {}, h("dt", {}, label), h("dd", {}, String(show(report[key])))),
      );
      fill(this.result, h("h2", {}, `Report ${report.id ?? id}`), h("dl", { class: "kv" }, facts), reportCard(report, { forSupport: true }));
    } catch (err) {
      const text = err.status === 404 ? `No connection-test report has the id ${id}.` : err.message;
      fill(this.result, h("p", { class: "notice" }, text));
    }
  }
}
