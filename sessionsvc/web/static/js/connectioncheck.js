// A short connection check for the device check screen: the round trip to the session service
// and whether this browser can open a peer connection. The full test is a separate page.
import { request } from "./session.js";

/** Time the acknowledged `device` report, then try a local peer connection. */
export async function checkConnection(socket, deviceReport) {
  const started = performance.now();
  const ack = await request(socket, "device", deviceReport, 6000);
  const rttMs = Math.round(performance.now() - started);
  const peer = await peerLoopback();
  let grade = "good";
  if (!ack.ok || !peer.ok) grade = "poor";
  else if (rttMs > 400) grade = "poor";
  else if (rttMs > 150) grade = "fair";
  return { grade, rttMs, serviceOk: ack.ok, peerOk: peer.ok };
}

/** Two peer connections in this page, connected to each other over a data channel. */
async function peerLoopback(timeoutMs = 4000) {
  if (!window.RTCPeerConnection) return { ok: false };
  const a = new RTCPeerConnection({ iceServers: [] });
  const b = new RTCPeerConnection({ iceServers: [] });
  try {
    a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate).catch(() => {});
    b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate).catch(() => {});
    const opened = new Promise((resolve) => {
      const channel = a.createDataChannel("check");
      channel.onopen = () => resolve(true);
    });
    await a.setLocalDescription();
    await b.setRemoteDescription(a.localDescription);
    await b.setLocalDescription();
    await a.setRemoteDescription(b.localDescription);
    const timeout = new Promise((resolve) => setTimeout(() => resolve(false), timeoutMs));
    return { ok: await Promise.race([opened, timeout]) };
  } catch {
    return { ok: false };
  } finally {
    a.close();
    b.close();
  }
}
