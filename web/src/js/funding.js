// The funding part of the waiting room, per role (DESIGN §2). Every sentence comes from the
// server's funding view (sessionsvc/signaling/texts.py); this module only lays them out.
import { h } from "./dom.js";
import { safeHttpUrl } from "./format.js";

/** The client's funding line: nothing at all for a professional's own (self-pay) client. */
export function clientFunding(view) {
  if (!view || view.funding === "self_pay") return null;
  const payUrl = view.funding === "card_required" ? safeHttpUrl(view.payment_url) : null;
  return h(
    "section",
    {
      class: `funding funding-${view.funding}`,
      dataset: { funding: view.funding, testid: "funding" },
      "aria-label": "Payment",
    },
    h("p", { class: "funding-headline" }, view.headline),
    view.detail ? h("p", { class: "funding-detail" }, view.detail) : null,
    view.alert
      ? h("div", { class: "callout callout-notice", dataset: { testid: "funding-alert" } }, view.alert)
      : null,
    view.funding === "card_required"
      ? h(
          "div",
          { class: "pay" },
          payUrl
            ? h(
                "a",
                {
                  class: "button button-primary",
                  href: payUrl,
                  target: "_blank",
                  rel: "noopener noreferrer",
                },
                view.pay_label,
              )
            : null,
          h("p", { class: "small muted" }, view.pay_hint),
        )
      : null,
  );
}

/** The professional's funding panel: who pays, who to invoice, alerts and reminders. */
export function professionalFunding(room) {
  const view = room.funding;
  if (!view) return null;
  const facts = view.facts ?? [];
  return h(
    "section",
    {
      class: `panel funding funding-${view.funding}`,
      dataset: { funding: view.funding, testid: "funding" },
      "aria-labelledby": "funding-title",
    },
    h("h2", { id: "funding-title" }, "Payment"),
    h("p", { class: "funding-headline" }, view.headline),
    view.detail ? h("p", { class: "funding-detail" }, view.detail) : null,
    facts.length
      ? h(
          "dl",
          { class: "facts" },
          facts.map(([k, v]) => h("div", {}, h("dt", {}, k), h("dd", {}, v))),
        )
      : null,
    view.alert
      ? h(
          "div",
          { class: "callout callout-notice", dataset: { testid: "funding-alert" } },
          view.alert,
        )
      : null,
    view.warning
      ? h(
          "div",
          { class: "callout callout-warning", role: "note", dataset: { testid: "funding-warning" } },
          view.warning,
        )
      : null,
    view.reminder
      ? h("div", { class: "callout callout-info", dataset: { testid: "first-hub-session" } }, view.reminder)
      : null,
  );
}
