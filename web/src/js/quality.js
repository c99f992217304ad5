// Connection quality from getStats: the summary sent to the server every 2 s (docs/events.md
// "stats"), which grades both sides and sends the call screen both grades (`quality`). The page
// grades nothing itself: the connection check's grades come from the service too, so one set of
// thresholds (sessionsvc/quality.py) grades everything.

function finite(value) {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function round(value, digits = 1) {
  const v = finite(value);
  return v === undefined ? undefined : Number(v.toFixed(digits));
}

/** A short random id for a peer connection: its counters start again from zero. */
function peerId() {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Turns getStats reports of the peer connection in use into the `stats` payload: counters of
 * that peer connection (a new one gets a new `peer` id and starts them again), the figures as
 * they are now, and the report's own clock. The service computes rates and loss over its own
 * windows and grades them (docs/events.md), so nothing is judged here.
 */
export class StatsSampler {
  constructor() {
    this.pc = null;
    this.peer = "";
    this.busy = false;
  }

  /** The payload for `pc` now, or null while an earlier sample is still being taken. */
  async sample(pc) {
    if (this.busy) return null;
    this.busy = true;
    try {
      if (pc !== this.pc) {
        this.pc = pc;
        this.peer = peerId();
      }
      return summarize(await pc.getStats(), pc, this.peer, performance.now());
    } finally {
      this.busy = false;
    }
  }
}

function summarize(report, pc, peer, clockMs) {
  let bytesIn = 0;
  let bytesOut = 0;
  let framesDecoded = 0;
  let fps;
  let jitter;
  let transport;
  const kinds = {};
  const byId = new Map();
  report.forEach((s) => {
    byId.set(s.id, s);
    if (s.type === "inbound-rtp") {
      bytesIn += s.bytesReceived ?? 0;
      const k = (kinds[s.kind] ??= { packets_received: 0, packets_lost: 0 });
      k.packets_received += s.packetsReceived ?? 0;
      k.packets_lost += Math.max(0, s.packetsLost ?? 0); // duplicates make it negative
      if (s.kind === "video") {
        framesDecoded += s.framesDecoded ?? 0;
        fps = finite(s.framesPerSecond) ?? fps;
      }
      if (finite(s.jitter) !== undefined) jitter = Math.max(jitter ?? 0, s.jitter * 1000);
    } else if (s.type === "outbound-rtp") {
      bytesOut += s.bytesSent ?? 0;
    } else if (s.type === "transport") {
      transport = s;
    }
  });
  let pair = transport ? byId.get(transport.selectedCandidatePairId) : undefined;
  if (!pair) {
    report.forEach((s) => {
      if (s.type === "candidate-pair" && s.state === "succeeded" && s.nominated) pair = s;
    });
  }
  const local = pair ? byId.get(pair.localCandidateId) : undefined;
  const remote = pair ? byId.get(pair.remoteCandidateId) : undefined;
  const summary = {
    bytes_received: bytesIn,
    bytes_sent: bytesOut,
    frames_received: framesDecoded,
    peer,
    clock_ms: round(clockMs, 1),
    audio: kinds.audio,
    video: kinds.video,
    rtt_ms: round(finite(pair?.currentRoundTripTime) * 1000),
    jitter_ms: round(jitter),
    fps_in: round(fps),
    ice_state: pc.iceConnectionState,
    connection_state: pc.connectionState,
    local_candidate_type: local?.candidateType,
    remote_candidate_type: remote?.candidateType,
  };
  for (const key of Object.keys(summary)) if (summary[key] === undefined) delete summary[key];
  return summary;
}
