// The connection test, as the /test page and the device check run it: this browser sends a
// test video to the service's own peer (POST /v1/diagnostics/offer), receives the service's
// clip back, and the service measures both directions for about ten seconds and grades them
// (docs/api.md "Connection test"). With a TURN server configured, a second peer connection
// checks that a relay-only connection works too. The camera is not used: the test video is a
// small generated picture, so the test needs no permission and measures the network, not the
// camera.

const WIDTH = 320;
const HEIGHT = 240;
const FPS = 15;
// What the browser may send: above the 1.1 Mbps that grades an upload good. The service's
// answer asks Chrome to start at about this rate instead of ramping up from 300 kbps.
const MAX_BITRATE = 1_700_000;
const GATHER_TIMEOUT_MS = 4000;
const RELAY_TIMEOUT_MS = 10_000;

/** A test video: fine grain that changes every frame, which no encoder can squeeze much, so the
 * browser really sends what the link allows. Returns {track, stop}. */
function testVideo() {
  const canvas = document.createElement("canvas");
  canvas.width = WIDTH;
  canvas.height = HEIGHT;
  const ctx = canvas.getContext("2d");
  const frames = [];
  for (let f = 0; f < 4; f += 1) {
    const image = ctx.createImageData(WIDTH, HEIGHT);
    const d = image.data;
    for (let i = 0; i < d.length; i += 4) {
      const v = 60 + Math.floor(Math.random() * 140);
      d[i] = v;
      d[i + 1] = v;
      d[i + 2] = v;
      d[i + 3] = 255;
    }
    frames.push(image);
  }
  let n = 0;
  const draw = () => {
    ctx.putImageData(frames[n % frames.length], (n * 7) % 16 - 8, (n * 3) % 8 - 4);
    n += 1;
  };
  draw();
  const timer = setInterval(draw, 1000 / FPS);
  const stream = canvas.captureStream(FPS);
  const [track] = stream.getVideoTracks();
  return {
    track,
    stop() {
      clearInterval(timer);
      track.stop();
    },
  };
}

async function api(path, { token, body } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method: body ? "POST" : "GET",
    headers,
    body: body ? JSON.stringify(body) : undefined,
    cache: "no-store",
  });
  let data = {};
  try {
    data = await response.json();
  } catch {
    data = {};
  }
  if (!response.ok) {
    const error = new Error(data?.error?.message ?? `HTTP ${response.status}`);
    error.code = data?.error?.code ?? "http_error";
    error.status = response.status;
    error.retryAfter = Number(response.headers.get("Retry-After")) || null;
    throw error;
  }
  return data;
}

/** Resolve once ICE gathering is complete (the service's peer does not take trickled
 * candidates), or after a few seconds with what was gathered by then. */
function gathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, GATHER_TIMEOUT_MS);
    pc.addEventListener("icegatheringstatechange", () => {
      if (pc.iceGatheringState === "complete") {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

function connected(pc, timeoutMs) {
  return new Promise((resolve) => {
    if (pc.connectionState === "connected") return resolve(true);
    const timer = setTimeout(() => resolve(false), timeoutMs);
    pc.addEventListener("connectionstatechange", () => {
      if (pc.connectionState === "connected") {
        clearTimeout(timer);
        resolve(true);
      } else if (pc.connectionState === "failed" || pc.connectionState === "closed") {
        clearTimeout(timer);
        resolve(false);
      }
    });
  });
}

async function offerTo(pc, token, extra = {}) {
  await pc.setLocalDescription();
  await gathered(pc);
  const answer = await api("/v1/diagnostics/offer", {
    token,
    body: { type: "offer", sdp: pc.localDescription.sdp, ...extra },
  });
  await pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
  return answer;
}

/** The relay-only check: a peer connection that may only use the TURN server's candidates. */
async function relayCheck(iceServers, testId, token) {
  const pc = new RTCPeerConnection({ iceServers, iceTransportPolicy: "relay" });
  try {
    pc.addTransceiver("video", { direction: "recvonly" });
    await offerTo(pc, token, { test_id: testId, relay: true });
    return await connected(pc, RELAY_TIMEOUT_MS);
  } catch {
    return false;
  } finally {
    pc.close();
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Run a whole test and resolve to its report (the JSON of GET /v1/diagnostics/tests/{id}).
 * `onProgress({stage, fraction, testId})` follows it: "connecting", "measuring", "done".
 * Rejects with an Error carrying `code` (and `retryAfter` when the service is busy); `signal`
 * (an AbortSignal) stops it, closing its peer connection at once (code "aborted").
 */
export async function runConnectionTest({ token = null, onProgress = () => {}, signal = null } = {}) {
  if (!window.RTCPeerConnection) {
    const error = new Error("This browser cannot make video calls.");
    error.code = "no_webrtc";
    throw error;
  }
  onProgress({ stage: "connecting", fraction: 0 });
  const config = await api("/v1/diagnostics/ice-servers", { token });
  const video = testVideo();
  const pc = new RTCPeerConnection({ iceServers: config.ice_servers ?? [] });
  const stop = () => {
    pc.close();
    video.stop();
  };
  signal?.addEventListener("abort", stop);
  const check = () => {
    if (signal?.aborted) {
      const error = new Error("The test was stopped.");
      error.code = "aborted";
      throw error;
    }
  };
  try {
    pc.addTransceiver(video.track, {
      direction: "sendrecv",
      sendEncodings: [{ maxBitrate: MAX_BITRATE }],
    });
    const sender = pc.getSenders()[0];
    const answer = await offerTo(pc, token);
    const testId = answer.test_id;
    try {
      const params = sender.getParameters();
      params.degradationPreference = "maintain-resolution";
      await sender.setParameters(params);
    } catch {
      // an older browser: it keeps its own preference
    }
    const relay = config.relay_check ? relayCheck(config.ice_servers, testId, token) : null;
    const duration = (answer.duration_s ?? 8) * 1000;
    const started = performance.now();
    let report;
    for (;;) {
      await sleep(1000);
      check();
      const elapsed = performance.now() - started;
      onProgress({ stage: "measuring", fraction: Math.min(0.95, elapsed / (duration + 1500)), testId });
      if (elapsed < duration) continue;
      report = await api(`/v1/diagnostics/tests/${encodeURIComponent(testId)}`);
      if (report.state !== "running") break;
      if (elapsed > duration + 30_000) break;
    }
    if (relay) {
      await relay;
      // the service stores the relay check's result as its own peer sees the connection
      for (let i = 0; i < 10; i += 1) {
        report = await api(`/v1/diagnostics/tests/${encodeURIComponent(testId)}`);
        if (typeof report.relay?.ok === "boolean") break;
        await sleep(500);
      }
    }
    onProgress({ stage: "done", fraction: 1, testId });
    return report;
  } finally {
    signal?.removeEventListener("abort", stop);
    stop();
  }
}
