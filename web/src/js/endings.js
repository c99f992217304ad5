// Screens that close the story: a link with no token, a garbled or expired link, a finished
// session reopened (what actually happened, from the server), declined, taken over by another
// window, left. A cancelled or expired room is told by the server's summary (summary.js).
import { h } from "./dom.js";
import { summaryScreen } from "./summary.js";
import { supportContact } from "./texts.js";

/** A closing screen: a title, a lede and more lines, and maybe one action (its primary). */
export function ending({ screen, title, lines, action, help = false, tone = "neutral" }) {
  return h(
    "section",
    { class: "screen ending", dataset: { screen } },
    h(
      "div",
      { class: "card card-center" },
      h("span", { class: `outcome-mark mark-${tone}`, "aria-hidden": "true" }),
      h("h1", {}, title),
      lines.map((line, i) => h("p", { class: i === 0 ? "lede" : "" }, line)),
      help ? helpLine() : null,
      action
        ? h(
            "div",
            { class: "actions actions-center" },
            h("button", { type: "button", class: "button button-primary", dataset: { primary: "" }, onclick: action.run }, action.label),
          )
        : null,
    ),
  );
}

/** "Still stuck? Contact support: …" with the configured contact as a link; `lead` replaces
 * "Still stuck? Contact support: ", and `onlyContact` leaves the line out when none is set. */
export function helpLine({ lead = "Still stuck? Contact support: ", onlyContact = false } = {}) {
  const contact = supportContact();
  if (!contact && onlyContact) return null;
  if (!contact) {
    return h("p", { class: "help-line", dataset: { testid: "support" } }, "Still stuck? Contact whoever booked the session for you: they can send you a new link.");
  }
  const email = !/^[a-z]+:/i.test(contact) && contact.includes("@");
  const href = email ? `mailto:${contact}` : contact;
  const safe = /^(https?:|mailto:)/i.test(href) ? href : null;
  const label = contact.replace(/^mailto:/i, "");
  return h(
    "p",
    { class: "help-line", dataset: { testid: "support" } },
    lead,
    safe ? h("a", { href: safe, rel: "noopener noreferrer", target: email ? null : "_blank" }, label) : label,
  );
}

const reload = () => location.reload();

/** The screen for a refused connection (docs/events.md connect_error codes); a finished room's
 * refusal carries its summary, so reopening the link shows what actually happened. */
export function connectErrorScreen(code, role, data = {}) {
  switch (code) {
    case "token_expired":
      return ending({
        screen: "expired-link",
        title: "This link has expired",
        lines: [
          "Join links only work around the time of the session.",
          "If your session is still on, open the newest link from your booking, or contact your professional.",
        ],
        help: true,
      });
    case "room_closed":
      if (data.summary) return summaryScreen(data.summary, { reopened: true });
      return ending({
        screen: "finished",
        title: "This session has finished",
        lines: ["This link no longer opens it."],
      });
    case "removed":
      return ending({
        screen: "removed",
        title: "You can no longer join this session",
        lines: ["The professional has closed this link for you.", "If you think this is a mistake, contact your professional."],
      });
    case "not_your_room":
      return ending({
        screen: "invalid",
        title: "This link belongs to someone else",
        lines: ["Each session link is personal. Please open the link from your own booking email."],
        tone: "warning",
        help: true,
      });
    default:
      return ending({
        screen: "invalid",
        title: "This link doesn’t work",
        lines: [
          "Part of it may be mistyped or cut off. Please open the whole link from your booking email again.",
        ],
        tone: "warning",
        help: true,
      });
  }
}

/** The professional did not let the client in: the server's title and lines. */
export function deniedScreen(info) {
  return ending({ screen: "denied", title: info.title, lines: info.lines });
}

/** Another tab or device took this session over. */
export function replacedScreen() {
  return ending({
    screen: "replaced",
    title: "Your session is open in another window",
    lines: ["You opened this session somewhere else, so this window has stepped aside."],
    action: { label: "Use this window instead", run: reload },
  });
}

/** This person left the call or the waiting room. */
export function leftScreen(inCall) {
  return ending({
    screen: "left",
    title: inCall ? "You left the call" : "You left the waiting room",
    lines: [
      inCall
        ? "The session is still open: you can rejoin while it lasts."
        : "Your professional no longer sees you waiting. You can come back while the session is open.",
    ],
    action: { label: inCall ? "Rejoin the call" : "Return to the waiting room", run: reload },
  });
}

/** No token in the address at all: the link was cut short before its key. */
export function missingTokenScreen() {
  return ending({
    screen: "missing-token",
    title: "This link is incomplete",
    lines: [
      "The address is missing the part that opens your session.",
      "Please open the whole link from your booking email, or copy all of it into the address bar.",
    ],
    tone: "warning",
    help: true,
  });
}
