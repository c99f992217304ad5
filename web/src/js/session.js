// The Socket.IO connection to the /session namespace (docs/events.md).
import { io } from "socket.io-client";

/**
 * Connect with the join token; the server refuses a bad token with connect_error {code}.
 * `checking()` says, on every (re)connection, whether this page is on its device check, so the
 * other side sees "checking camera and microphone" rather than "ready".
 */
export function connect(token, checking = () => false) {
  const socket = io("/session", {
    auth: (cb) => cb({ token, checking: checking() }),
    transports: ["websocket"],
    reconnectionDelay: 400,
    reconnectionDelayMax: 2500,
  });
  followRestarts(socket);
  return socket;
}

/**
 * A server that is stopping sends "restarting", then closes the connection (socket.io would not
 * reconnect after a server's close by itself): connect again at once. The load balancer sends
 * the new connection to another server, and the place in the session is kept.
 */
function followRestarts(socket) {
  let restarting = false;
  socket.on("restarting", () => {
    restarting = true;
  });
  socket.on("disconnect", (reason) => {
    if (restarting && reason === "io server disconnect") socket.connect();
    restarting = false;
  });
}

/** Emit an event and resolve to its ack: {ok: true, …} or {ok: false, error: {code, message}}. */
export function request(socket, event, payload = {}, timeoutMs = 8000) {
  return new Promise((resolve) => {
    socket.timeout(timeoutMs).emit(event, payload, (err, ack) => {
      if (err) {
        resolve({
          ok: false,
          error: { code: "timeout", message: "The session service did not answer in time." },
        });
      } else {
        resolve(ack ?? { ok: false, error: { code: "no_answer", message: "No answer." } });
      }
    });
  });
}

/** The room a join token names (its payload is readable; the server checks its signature). */
export function tokenRoom(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload)).room ?? null;
  } catch {
    return null;
  }
}
