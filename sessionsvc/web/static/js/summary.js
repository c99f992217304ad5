// The summary after a session: the professional's payment summary, the client's credits.
import { h } from "./dom.js";
import { duration } from "./format.js";

const REASONS = {
  client_no_show: "The client did not join.",
  professional_no_show: "The professional did not join.",
  not_admitted: "The client was not let in.",
  media_never_connected: "Audio and video never connected both ways.",
  too_short: "The call was too short to count.",
};

function fact(label, value, testid) {
  return h("div", { class: "fact" }, h("dt", {}, label), h("dd", { dataset: testid ? { testid } : {} }, value));
}

function invoiceLine(payment) {
  if (payment.payment_type !== "Credit") return null;
  if (payment.invoice_to === "platform") return "The platform, in your month-end invoice";
  return payment.invoice_to ? `${payment.invoice_to}, directly` : null;
}

/** The summary screen for either role. */
export function summaryScreen(role, summary) {
  const held = summary.phase === "completed";
  const facts = [];
  let headline;
  if (role === "professional") {
    const payment = summary.payment;
    if (held && payment) {
      headline = "Session complete";
      facts.push(fact("Payment type", payment.payment_type, "payment-type"));
      const invoice = invoiceLine(payment);
      if (invoice) facts.push(fact("Invoice", invoice, "invoice-to"));
      if (payment.payment_type === "Credit" && payment.credits_remaining !== undefined && payment.credits_remaining !== null) {
        facts.push(fact("Client’s credits left", String(payment.credits_remaining)));
      }
    } else {
      headline = "This session was not counted";
      facts.push(fact("Why", REASONS[summary.reason] ?? "It did not meet the conditions of a held session.", "reason"));
      facts.push(fact("Payment", "None: no credit was used and there is nothing to invoice."));
    }
  } else if (held && summary.payment_type) {
    headline = "Thank you for your session";
    facts.push(fact("Paid with", paidWith(summary.payment_type), "payment-type"));
    if (summary.payment_type === "Credit") {
      facts.push(fact("Credits left", String(summary.credits_remaining ?? 0), "credits-left"));
    }
  } else {
    headline = "This session was not counted";
    facts.push(fact("Why", REASONS[summary.reason] ?? "It did not meet the conditions of a held session.", "reason"));
    facts.push(fact("Credits", "No credit was used."));
  }
  if (summary.held_seconds > 0) facts.push(fact("Session length", duration(summary.held_seconds)));
  return h(
    "section",
    { class: "screen summary", dataset: { screen: "summary", outcome: summary.phase ?? "" } },
    h(
      "div",
      { class: "card card-center" },
      h("span", { class: `outcome-mark ${held ? "mark-ok" : "mark-neutral"}`, "aria-hidden": "true" }),
      h("h1", {}, headline),
      // A session that was not counted is explained by the facts below; the message repeats them.
      held && summary.message
        ? h("p", { class: "lede", dataset: { testid: "summary-message" } }, summary.message)
        : null,
      h("dl", { class: "summary-facts" }, facts),
      h("p", { class: "small muted" }, "You can close this window."),
    ),
  );
}

function paidWith(paymentType) {
  if (paymentType === "Credit") return "Your employer’s credit";
  if (paymentType === "Card") return "Your card on file";
  return "Arranged with your professional";
}
