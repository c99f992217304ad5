// The Socket.IO connection to the /session namespace (docs/events.md).
import { io } from "../vendor/socket.io.esm.min.js";

/** Connect with the join token; the server refuses a bad token with connect_error {code}. */
export function connect(token) {
  return io("/session", {
    auth: { token },
    transports: ["websocket"],
    reconnectionDelay: 400,
    reconnectionDelayMax: 2500,
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
