// Screens that close the story: invalid or expired link, cancelled, expired, finished, denied,
// taken over by another window, left.
import { h } from "./dom.js";

function ending({ screen, title, lines, action, tone = "neutral" }) {
  return h(
    "section",
    { class: "screen ending", dataset: { screen } },
    h(
      "div",
      { class: "card card-center" },
      h("span", { class: `outcome-mark mark-${tone}`, "aria-hidden": "true" }),
      h("h1", {}, title),
      lines.map((line, i) => h("p", { class: i === 0 ? "lede" : "" }, line)),
      action
        ? h("div", { class: "actions actions-center" }, h("button", { type: "button", class: "button button-primary", onclick: action.run }, action.label))
        : null,
    ),
  );
}

const reload = () => location.reload();

/** The screen for a refused connection (docs/events.md connect_error codes). */
export function connectErrorScreen(code, role) {
  switch (code) {
    case "token_expired":
      return ending({
        screen: "expired-link",
        title: "This link has expired",
        lines: [
          "Join links only work around the time of the session.",
          "If your session is still on, ask for a new link from your booking, or contact your professional.",
        ],
      });
    case "room_closed":
      return ending({
        screen: "finished",
        title: "This session has finished",
        lines: [
          "It has ended, was cancelled, or its time slot has passed, so this link no longer opens it.",
          role === "professional"
            ? "The session’s outcome is in your workstation."
            : "To see your professional again, book a new session from your Wellbeing Hub.",
        ],
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
        lines: [
          "Each session link is personal. Please open the link from your own booking email.",
        ],
        tone: "warning",
      });
    default:
      return ending({
        screen: "invalid",
        title: "This link does not work",
        lines: [
          "It may be incomplete or mistyped. Please open the whole link from your booking email again.",
          "If it still does not work, contact support through the chat bubble on the website.",
        ],
        tone: "warning",
      });
  }
}

/** The room was cancelled by the booking service. */
export function cancelledScreen(role) {
  return ending({
    screen: "cancelled",
    title: "This session was cancelled",
    lines:
      role === "professional"
        ? ["The booking was cancelled, so there is nothing to invoice for it.", "Your calendar has the details."]
        : [
            "No credit was used and nothing will be charged.",
            "To find a new time, contact your professional or book again from your Wellbeing Hub.",
          ],
  });
}

/** Nobody came before the end of the time slot. */
export function expiredScreen(role) {
  return ending({
    screen: "expired",
    title: "This session has expired",
    lines: [
      "Its time slot has passed without the session taking place.",
      role === "professional"
        ? "It was not counted and there is nothing to invoice."
        : "No credit was used. To find a new time, contact your professional or book again.",
    ],
  });
}

/** The professional did not let the client in. */
export function deniedScreen(message, professionalName) {
  return ending({
    screen: "denied",
    title: `${professionalName ?? "The professional"} did not let you in`,
    lines: [message || "This session will not take place.", "No credit was used. If you think this is a mistake, contact your professional."],
  });
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
      "You can come back while the session is still open.",
    ],
    action: { label: inCall ? "Rejoin the call" : "Return to the waiting room", run: reload },
  });
}

/** No token in the address. */
export function missingTokenScreen() {
  return connectErrorScreen("invalid_token");
}
