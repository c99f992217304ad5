// Connection quality from getStats: a summary every 2 s for the server (docs/events.md "stats")
// and a good / fair / poor grade for the call screen.

function finite(value) {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function round(value, digits = 1) {
  const v = finite(value);
  return v === undefined ? undefined : Number(v.toFixed(digits));
}

/** Grade a summary: what a person would notice (lag, breaking up, frozen video). */
export function grade(s, stalled) {
  if (s.connection_state && s.connection_state !== "connected") return "poor";
  if (stalled) return "poor";
  const rtt = s.rtt_ms ?? 0;
  const loss = s.loss_pct ?? 0;
  const jitter = s.jitter_ms ?? 0;
  if (rtt > 400 || loss > 5 || jitter > 60) return "poor";
  if (rtt > 200 || loss > 2 || jitter > 30) return "fair";
  return "good";
}

/** Turns successive getStats reports of one peer connection into summaries. */
export class StatsSampler {
  constructor() {
    this.previous = null;
  }

  async sample(pc) {
    const report = await pc.getStats();
    const now = performance.now();
    let bytesIn = 0;
    let bytesOut = 0;
    let packetsIn = 0;
    let lost = 0;
    let framesDecoded = 0;
    let fps;
    let jitter;
    let transport;
    const byId = new Map();
    report.forEach((s) => {
      byId.set(s.id, s);
      if (s.type === "inbound-rtp") {
        bytesIn += s.bytesReceived ?? 0;
        packetsIn += s.packetsReceived ?? 0;
        lost += Math.max(0, s.packetsLost ?? 0);
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

    const prev = this.previous;
    const seconds = prev ? (now - prev.at) / 1000 : 0;
    const summary = {
      bytes_received: bytesIn,
      bytes_sent: bytesOut,
      frames_received: framesDecoded,
      rtt_ms: round(finite(pair?.currentRoundTripTime) * 1000),
      jitter_ms: round(jitter),
      fps_in: round(fps),
      ice_state: pc.iceConnectionState,
      connection_state: pc.connectionState,
      local_candidate_type: local?.candidateType,
      remote_candidate_type: remote?.candidateType,
    };
    if (prev && seconds > 0) {
      const dPackets = packetsIn - prev.packetsIn + (lost - prev.lost);
      summary.loss_pct = round(dPackets > 0 ? ((lost - prev.lost) / dPackets) * 100 : 0);
      summary.bitrate_in_kbps = round(((bytesIn - prev.bytesIn) * 8) / 1000 / seconds, 0);
      summary.bitrate_out_kbps = round(((bytesOut - prev.bytesOut) * 8) / 1000 / seconds, 0);
    }
    const stalled = prev !== null && bytesIn <= prev.bytesIn;
    summary.quality = grade(summary, stalled);
    this.previous = { at: now, bytesIn, bytesOut, packetsIn, lost };
    for (const key of Object.keys(summary)) if (summary[key] === undefined) delete summary[key];
    return summary;
  }
}
