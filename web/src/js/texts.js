// The sentences the join page writes itself (presence, the call's timer and notes, closing
// screens). Funding and outcomes are worded by the server (sessionsvc/signaling/texts.py and
// outcomes.py) and only laid out here. Typography as on the server: curly apostrophes (’) and
// quotes (“ ”), never straight ones.
import { duration } from "./format.js";

/** "Sam" from "Sam Jordan": the tab title and the notification are short. */
export function firstName(name) {
  return (name ?? "").trim().split(/\s+/)[0] || "Your client";
}

/** A minimum held time in words: "a minute", "2 minutes", "30 seconds". */
export function heldWords(seconds) {
  return Math.round(seconds) === 60 ? "a minute" : duration(seconds);
}

/** What the professional reads about the client's presence, per state. */
export const CLIENT_PRESENCE = {
  absent: {
    label: "Not here yet",
    title: (c) => `Waiting for ${c} to arrive`,
    status: () => "You’ll hear a soft chime when they’re ready.",
  },
  checking: {
    label: "Checking devices",
    title: (c) => `${c} is checking camera and microphone`,
    status: () =>
      "They’ve opened the link and are getting set up. You can let them in now: they’ll join as soon as they’ve finished.",
  },
  ready: {
    label: "Ready",
    title: (c) => `${c} is ready and waiting`,
    status: () => "Let them in when you’re ready.",
  },
  pending: {
    label: "Joining after the check",
    title: (c) => `${c} will join as soon as they’ve finished their check`,
    status: () => "You’ve let them in. They’re still checking camera and microphone.",
  },
  reconnecting: {
    label: "Reconnecting",
    title: (c) => `${c}’s connection dropped`,
    status: () => "Their place is kept while they reconnect.",
  },
  left: {
    label: "Left",
    title: (c) => `${c} left the waiting room`,
    status: () => "They can come back from their link while the session is open.",
  },
};

/** What the professional hears about in the live region when the client's state changes. */
export const CLIENT_PRESENCE_NEWS = {
  checking: (c) => `${c} has opened the link and is checking camera and microphone.`,
  ready: (c) => `${c} is ready and waiting.`,
  reconnecting: (c) => `${c}’s connection dropped.`,
  left: (c) => `${c} left the waiting room.`,
  absent: () => "",
  pending: (c) => `${c} will join as soon as they’ve finished their check.`,
};

/** What the client reads about the professional's presence. */
export function professionalPresence(pro, presence, ready) {
  if (presence === "present" && ready) return `${pro} knows you’re here and will let you in shortly.`;
  if (presence === "present") return `${pro} has opened the session and is getting ready.`;
  if (presence === "reconnecting") return `${pro}’s connection dropped. They’ll be back shortly.`;
  return `${pro} hasn’t joined yet. You’ll be let in when they’re ready.`;
}

export const ARRIVAL = {
  heading: "When your client is ready",
  title: (c) => `● ${firstName(c)} is waiting`,
  notification: (c) => `${firstName(c)} is ready and waiting`,
  notificationBody: "Your client has finished their camera and microphone check.",
  chimeOn: "Chime on",
  chimeOff: "Chime off",
  chimeHint: "A soft chime plays when your client is ready, and gently again while they wait.",
  askNotify: "Notify me on my desktop",
  notifyHint: "Get a desktop notification when your client is ready, even in another tab.",
  notifyOn: "Desktop notifications are on.",
  notifyBlocked: "Desktop notifications are blocked for this site in your browser settings.",
};

export const CALL = {
  ends: (time) => `ends ${time}`,
  untilHeld: (words) =>
    `The session counts once you have talked for ${words}. Nothing is charged for a session that does not count.`,
  held: "The session now counts as held.",
  endTitle: "End the session for both of you?",
  endBody: (other) => `${other} will see that the session has ended.`,
  endNotCounted: (lasted, words) =>
    `This session will not be counted: it has lasted ${lasted}, and a session counts once you have talked for ${words}. No credit will be used and there will be nothing to invoice.`,
  fundingToggle: "Payment and hub",
};

export const ADMIT = {
  declineTitle: (c) => `Decline ${c}?`,
  declineIntro: (c) => `${c} will read:`,
  declineAfter: "Their link will stop working for this session.",
  decline: "Decline",
  notNow: "Not now",
};

/** The help line under a link that does not work: the configured support contact, or else
 * whoever sent the link. */
export function supportContact() {
  return document.querySelector('meta[name="support-contact"]')?.content?.trim() ?? "";
}
