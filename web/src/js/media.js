// The local camera and microphone: permission states, the stream, device choice, mute and
// camera toggles, and a microphone level meter. Nothing is ever recorded.

const PREFS_KEY = "sessionsvc.devices";

function loadPrefs() {
  try {
    return JSON.parse(localStorage.getItem(PREFS_KEY) ?? "{}") ?? {};
  } catch {
    return {};
  }
}

function savePrefs(prefs) {
  try {
    localStorage.setItem(PREFS_KEY, JSON.stringify(prefs));
  } catch {
    // Storage can be off (private windows); device choice then lasts for this page only.
  }
}

/**
 * The local media of this page. Events: "change" (stream, permissions or devices changed) and
 * "track" ({detail: track}: a track was replaced, for a live call to send the new one).
 */
export class LocalMedia extends EventTarget {
  constructor() {
    super();
    this.stream = null;
    this.error = null;
    this.permissions = { camera: "unknown", microphone: "unknown" };
    this.devices = { videoinput: [], audioinput: [], audiooutput: [] };
    this.prefs = loadPrefs();
    this.micOn = true;
    this.cameraOn = true;
    this.started = null;
    this.watchPermissions();
    navigator.mediaDevices?.addEventListener?.("devicechange", () => this.listDevices());
  }

  async watchPermissions() {
    for (const name of ["camera", "microphone"]) {
      try {
        const status = await navigator.permissions.query({ name });
        this.permissions[name] = status.state;
        status.addEventListener("change", () => {
          this.permissions[name] = status.state;
          this.changed();
          if (status.state === "granted" && !this.stream) this.start();
        });
      } catch {
        // Some browsers cannot be asked; the outcome of getUserMedia tells instead.
      }
    }
    this.changed();
  }

  changed() {
    this.dispatchEvent(new Event("change"));
  }

  constraints(prefs = this.prefs) {
    const video = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } };
    const audio = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
    if (prefs.videoinput) video.deviceId = { exact: prefs.videoinput };
    if (prefs.audioinput) audio.deviceId = { exact: prefs.audioinput };
    return { video, audio };
  }

  /** Ask for the camera and microphone (once at a time); resolves when done, never rejects. */
  start() {
    if (!this.started) {
      this.started = this.acquire().finally(() => {
        this.started = null;
      });
    }
    return this.started;
  }

  /** Resolves once a stream exists or the attempt failed. */
  ready() {
    return this.stream ? Promise.resolve() : this.start();
  }

  async acquire() {
    if (!navigator.mediaDevices?.getUserMedia) {
      this.error = "NotSupportedError";
      this.changed();
      return;
    }
    this.error = null;
    let stream = null;
    try {
      stream = await navigator.mediaDevices.getUserMedia(this.constraints());
    } catch (err) {
      if (err.name === "OverconstrainedError" || err.name === "NotFoundError") {
        // A remembered device is gone, or one kind is missing: take what there is.
        this.prefs = {};
        stream = await this.partial();
      }
      if (!stream) this.failed(err);
    }
    if (stream) this.use(stream);
    await this.listDevices();
    this.changed();
  }

  async partial() {
    for (const kind of [{ audio: true, video: true }, { audio: true }, { video: true }]) {
      try {
        return await navigator.mediaDevices.getUserMedia(kind);
      } catch {
        // try the next, smaller request
      }
    }
    return null;
  }

  failed(err) {
    this.error = err.name || "Error";
    if (err.name === "NotAllowedError" || err.name === "SecurityError") {
      const bothGranted =
        this.permissions.camera === "granted" && this.permissions.microphone === "granted";
      for (const name of ["camera", "microphone"]) {
        if (bothGranted || this.permissions[name] !== "granted") this.permissions[name] = "denied";
      }
    }
  }

  use(stream) {
    this.stop();
    this.stream = stream;
    if (stream.getVideoTracks().length) this.permissions.camera = "granted";
    if (stream.getAudioTracks().length) this.permissions.microphone = "granted";
    this.applyToggles();
    for (const track of stream.getTracks()) {
      track.addEventListener("ended", () => this.changed());
    }
  }

  get videoTrack() {
    return this.stream?.getVideoTracks()[0] ?? null;
  }

  get audioTrack() {
    return this.stream?.getAudioTracks()[0] ?? null;
  }

  async listDevices() {
    if (!navigator.mediaDevices?.enumerateDevices) return;
    const all = await navigator.mediaDevices.enumerateDevices();
    const lists = { videoinput: [], audioinput: [], audiooutput: [] };
    for (const d of all) if (d.deviceId && lists[d.kind]) lists[d.kind].push(d);
    this.devices = lists;
    this.changed();
  }

  /** The device in use for a kind ("videoinput", "audioinput", "audiooutput"). */
  current(kind) {
    if (kind === "audiooutput") return this.prefs.audiooutput ?? "default";
    const track = kind === "videoinput" ? this.videoTrack : this.audioTrack;
    return track?.getSettings().deviceId ?? this.prefs[kind] ?? "";
  }

  /** Switch one device; a live call is told through the "track" event. */
  async choose(kind, deviceId) {
    this.prefs = { ...this.prefs, [kind]: deviceId };
    savePrefs(this.prefs);
    if (kind === "audiooutput" || !this.stream) {
      this.changed();
      return;
    }
    const video = kind === "videoinput";
    const constraints = this.constraints();
    try {
      const fresh = await navigator.mediaDevices.getUserMedia(
        video ? { video: constraints.video } : { audio: constraints.audio },
      );
      const track = video ? fresh.getVideoTracks()[0] : fresh.getAudioTracks()[0];
      const old = video ? this.videoTrack : this.audioTrack;
      if (old) {
        this.stream.removeTrack(old);
        old.stop();
      }
      this.stream.addTrack(track);
      this.applyToggles();
      this.dispatchEvent(new CustomEvent("track", { detail: track }));
    } catch (err) {
      this.error = err.name;
    }
    this.changed();
  }

  setMic(on) {
    this.micOn = on;
    this.applyToggles();
    this.changed();
  }

  setCamera(on) {
    this.cameraOn = on;
    this.applyToggles();
    this.changed();
  }

  applyToggles() {
    for (const t of this.stream?.getAudioTracks() ?? []) t.enabled = this.micOn;
    for (const t of this.stream?.getVideoTracks() ?? []) t.enabled = this.cameraOn;
  }

  stop() {
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
  }
}

/** A microphone level (0–1) reported about 20 times a second while the meter is running. */
export class LevelMeter {
  constructor(onLevel) {
    this.onLevel = onLevel;
    this.context = null;
    this.source = null;
    this.timer = null;
    this.resume = () => this.context?.resume();
    document.addEventListener("pointerdown", this.resume, { capture: true });
    document.addEventListener("keydown", this.resume, { capture: true });
  }

  attach(track) {
    this.detach();
    if (!track) return;
    this.context ??= new AudioContext();
    this.context.resume().catch(() => {});
    const analyser = this.context.createAnalyser();
    analyser.fftSize = 512;
    this.source = this.context.createMediaStreamSource(new MediaStream([track]));
    this.source.connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    this.timer = setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const v of samples) sum += v * v;
      const rms = Math.sqrt(sum / samples.length);
      // -60 dBFS (silence) … -10 dBFS (loud speech) onto 0 … 1, as people hear loudness.
      const db = 20 * Math.log10(Math.max(rms, 1e-6));
      this.onLevel(Math.min(1, Math.max(0, (db + 60) / 50)), track.enabled);
    }, 50);
  }

  detach() {
    clearInterval(this.timer);
    this.timer = null;
    this.source?.disconnect();
    this.source = null;
  }

  close() {
    this.detach();
    document.removeEventListener("pointerdown", this.resume, { capture: true });
    document.removeEventListener("keydown", this.resume, { capture: true });
    this.context?.close().catch(() => {});
    this.context = null;
  }
}

/** Play a short, soft two-note chime on the chosen speaker. */
export async function playChime(sinkId) {
  const context = new AudioContext();
  const out = context.createMediaStreamDestination();
  const gain = context.createGain();
  gain.connect(out);
  const t = context.currentTime;
  gain.gain.setValueAtTime(0.0001, t);
  gain.gain.exponentialRampToValueAtTime(0.25, t + 0.05);
  gain.gain.exponentialRampToValueAtTime(0.0001, t + 1.1);
  for (const [freq, at] of [
    [660, 0],
    [880, 0.25],
  ]) {
    const osc = context.createOscillator();
    osc.frequency.value = freq;
    osc.connect(gain);
    osc.start(t + at);
    osc.stop(t + 1.1);
  }
  const audio = new Audio();
  audio.srcObject = out.stream;
  if (sinkId && audio.setSinkId) await audio.setSinkId(sinkId).catch(() => {});
  await audio.play().catch(() => {});
  setTimeout(() => {
    audio.srcObject = null;
    context.close().catch(() => {});
  }, 1300);
}
