// The WebRTC side of a call. The professional always offers (on admit, when the client comes back,
// after its own reconnect, and on "restart"); every offer starts a new peer connection on the
// client, which answers it. Each offer is named (offer_id) and its answer repeats the name, so
// an answer to an older offer that arrives after a newer one was made is dropped rather than
// applied to the newer connection. Candidates trickle through the server's "signal" relay.

let offers = 0;
const pageId = Math.random().toString(36).slice(2, 10);

export class Peer extends EventTarget {
  /**
   * @param {object} o
   * @param {"professional"|"client"} o.role
   * @param {(kind: string, payload: object) => Promise<unknown>} o.send
   * @param {import("./media.js").LocalMedia} o.media
   * Events: "track" ({detail: MediaStream}), "state" ({detail: connectionState}).
   */
  constructor({ role, send, media }) {
    super();
    this.role = role;
    this.send = send;
    this.media = media;
    this.iceServers = [];
    this.pc = null;
    this.offerId = null;
    this.pending = [];
    this.queue = Promise.resolve();
    this.onLocalTrack = (e) => this.replaceTrack(e.detail);
    media.addEventListener("track", this.onLocalTrack);
  }

  /**
   * Use these ICE servers from now on: for every new connection, and for the current one's next
   * ICE gathering (TURN credentials are short-lived; the server sends fresh ones in time).
   */
  setIceServers(servers) {
    this.iceServers = Array.isArray(servers) ? servers : [];
    if (!this.pc || this.pc.connectionState === "closed") return;
    try {
      this.pc.setConfiguration({ ...this.pc.getConfiguration(), iceServers: this.iceServers });
    } catch (err) {
      console.warn("could not update ICE servers:", err?.name ?? err);
    }
  }

  /** Run signaling steps one at a time, in arrival order. */
  serial(step) {
    this.queue = this.queue.then(step).catch((err) => {
      console.warn("signaling step failed:", err?.name ?? err);
    });
    return this.queue;
  }

  /** Professional: start a fresh connection with a new offer. */
  offer() {
    return this.serial(async () => {
      await this.media.ready();
      const pc = this.fresh();
      for (const kind of ["audio", "video"]) {
        const track = kind === "audio" ? this.media.audioTrack : this.media.videoTrack;
        if (track) pc.addTrack(track, this.media.stream);
        else pc.addTransceiver(kind, { direction: "recvonly" });
      }
      await pc.setLocalDescription();
      this.offerId = `${pageId}-${++offers}`;
      const sdp = pc.localDescription.sdp;
      await this.send("offer", { type: "offer", sdp, offer_id: this.offerId });
    });
  }

  /** Handle a relayed signal {kind, payload}. */
  handle({ kind, payload }) {
    if (kind === "offer" && this.role === "client") return this.serial(() => this.answer(payload));
    if (kind === "answer" && this.role === "professional") {
      return this.serial(async () => {
        const pc = this.pc;
        if (!pc || pc.signalingState !== "have-local-offer") return;
        // the answer to an offer this page has since replaced: its connection is gone
        if (payload.offer_id !== undefined && payload.offer_id !== this.offerId) return;
        await pc.setRemoteDescription({ type: "answer", sdp: payload.sdp });
        await this.flush(pc);
      });
    }
    if (kind === "candidate") return this.serial(() => this.candidate(payload));
    if (kind === "restart" && this.role === "professional") return this.offer();
    return Promise.resolve();
  }

  async answer(offer) {
    await this.media.ready();
    const pc = this.fresh();
    await pc.setRemoteDescription({ type: "offer", sdp: offer.sdp });
    const stream = this.media.stream;
    for (const track of stream?.getTracks() ?? []) pc.addTrack(track, stream);
    await pc.setLocalDescription();
    const answer = { type: "answer", sdp: pc.localDescription.sdp };
    if (offer.offer_id !== undefined) answer.offer_id = offer.offer_id;
    await this.send("answer", answer);
    await this.flush(pc);
  }

  async candidate(payload) {
    if (!payload?.candidate) return;
    const pc = this.pc;
    if (!pc || !pc.remoteDescription) {
      this.pending.push(payload);
      return;
    }
    // A candidate of an older connection fails its ufrag check: harmless, drop it.
    await pc.addIceCandidate(payload).catch(() => {});
  }

  async flush(pc) {
    const waiting = this.pending;
    this.pending = [];
    for (const c of waiting) await pc.addIceCandidate(c).catch(() => {});
  }

  /** Ask the professional for a new offer (client side, e.g. after ICE failed). */
  requestRestart() {
    return this.send("restart", {});
  }

  fresh() {
    this.closePc();
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    this.pc = pc;
    this.pending = [];
    pc.addEventListener("icecandidate", (e) => {
      if (e.candidate && e.candidate.candidate && this.pc === pc) {
        this.send("candidate", e.candidate.toJSON());
      }
    });
    pc.addEventListener("track", (e) => {
      if (this.pc !== pc) return;
      const stream = e.streams[0] ?? new MediaStream([e.track]);
      this.dispatchEvent(new CustomEvent("track", { detail: stream }));
    });
    pc.addEventListener("connectionstatechange", () => {
      if (this.pc !== pc) return;
      this.dispatchEvent(new CustomEvent("state", { detail: pc.connectionState }));
    });
    this.dispatchEvent(new CustomEvent("state", { detail: "new" }));
    return pc;
  }

  replaceTrack(track) {
    const sender = this.pc?.getSenders().find((s) => s.track?.kind === track.kind);
    sender?.replaceTrack(track).catch(() => {});
  }

  closePc() {
    if (this.pc) {
      this.pc.close();
      this.pc = null;
    }
  }

  close() {
    this.media.removeEventListener("track", this.onLocalTrack);
    this.closePc();
  }
}
