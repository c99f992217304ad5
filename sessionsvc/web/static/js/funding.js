// The funding part of the waiting room, per role (DESIGN §2). The texts come from the server's
// funding view; this module only lays them out.
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
                "Add a payment card",
              )
            : null,
          h(
            "p",
            { class: "small muted" },
            payUrl
              ? "It opens in a new tab. This page updates by itself once your card is added."
              : "Please add a card in your Wellbeing Hub account. This page updates by itself.",
          ),
        )
      : null,
  );
}

/** The professional's funding panel: who pays, who to invoice, alerts and reminders. */
export function professionalFunding(room) {
  const view = room.funding;
  if (!view) return null;
  const clientName = room.client?.name ?? "the client";
  const hub = room.hub?.name;
  const facts = [];
  if (hub) facts.push(["Wellbeing Hub", hub]);
  if (view.funding === "credit") {
    facts.push(["Invoicing", view.invoice_label ?? invoiceText(view.invoice_to, hub)]);
    if (view.credits_remaining !== null && view.credits_remaining !== undefined) {
      facts.push(["Credits left", `${view.credits_remaining}, including this session`]);
    }
  } else if (view.funding === "card") {
    facts.push(["Payment", "Card on file: arranging payment is your responsibility"]);
  } else if (view.funding === "card_required") {
    facts.push(["Payment", "No card on file yet"]);
  }
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
    hub && room.first_hub_session
      ? h(
          "div",
          { class: "callout callout-info", dataset: { testid: "first-hub-session" } },
          h("strong", {}, "First session through this hub. "),
          `Please confirm verbally that ${clientName} works for ${hub}.`,
        )
      : null,
  );
}

function invoiceText(invoiceTo, hub) {
  if (invoiceTo === "platform") return "Include this session in your month-end invoice to the platform.";
  if (invoiceTo) return `Invoice ${invoiceTo === "company" ? hub : invoiceTo} directly for this session.`;
  return "Ask the client which company they book through.";
}
