// The vidstyle page: the camera goes to the server over WebRTC, the stylized video comes back on the same
// connection, the controls travel on a data channel. In measurement mode (`vidstyle serve --stamp`) a latency
// stamp is drawn into each camera frame's corner and the server copies it across: latency = the time the
// stylized frame is due on screen (requestVideoFrameCallback's expectedDisplayTime) minus the time stamped into
// the camera frame it was made from.
"use strict";
const $ = (id) => document.getElementById(id);
const now = () => performance.timeOrigin + performance.now();
const KEEP_SAMPLES = 3000, KEEP_INPUTS = 90, KEEP_SENT = 900;
const state = { status: "connecting", stream: null, channel: null, config: null, samples: [], shown: [],
                sent: new Set(), misread: 0, keepInputs: false, inputs: new Map() };

function showMessage(text) {
  $("message").textContent = text || "";
  $("message").hidden = !text;
}

async function api(path, options) {
  const response = await fetch(path, options);
  let body;
  try { body = await response.json(); } catch { body = { error: `${response.status} ${response.statusText}` }; }
  if (!response.ok) throw new Error(body.error || `${response.status} ${response.statusText}`);
  return body;
}

function send(message) {
  if (state.channel && state.channel.readyState === "open") state.channel.send(JSON.stringify(message));
}

function controls() {
  const c = { style: state.style, strength: Number($("strength").value), temporal: $("temporal").checked };
  if (state.config.features.preserve_color) c.preserve_color = $("colour").value || null;
  return c;
}

function markStyle(id) {
  state.style = id;
  for (const b of $("styles").children) b.classList.toggle("selected", b.dataset.style === id);
}

function addStyle(id, name, src) {
  const button = document.createElement("button");
  const img = document.createElement("img"), label = document.createElement("span");
  button.type = "button";
  button.dataset.style = id;
  button.title = label.textContent = name;
  img.src = src;
  img.alt = name;
  button.append(img, label);
  button.onclick = () => { markStyle(id); send({ style: id }); };
  $("styles").append(button);
}

async function startCamera() {
  if (!window.isSecureContext || !navigator.mediaDevices) {
    throw new Error("this browser gives the camera only to https:// pages and to http://127.0.0.1 or localhost: " +
                    "use an SSH tunnel or vidstyle serve --certfile/--keyfile (see vidstyle serve --help)");
  }
  const camera = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } } });
  const video = $("input"), canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  video.srcObject = camera;
  await video.play();
  const onFrame = () => {
    if (canvas.width !== video.videoWidth || canvas.height !== video.videoHeight) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
    }
    ctx.drawImage(video, 0, 0);
    if ($("stamp").checked) {
      const ms = Math.round(now());
      drawStamp(ctx, ms);
      state.sent.add(ms);  // a stamp read back counts only if it is one of these (a misread cell is not)
      if (state.sent.size > KEEP_SENT) state.sent.delete(state.sent.values().next().value);
      if (state.keepInputs) keepInput(ms, ctx.getImageData(0, 0, canvas.width, canvas.height));
    }
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
  return canvas.captureStream().getVideoTracks()[0];
}

function keepInput(ms, image) {
  state.inputs.set(ms, image);
  if (state.inputs.size > KEEP_INPUTS) state.inputs.delete(state.inputs.keys().next().value);
}

function iceGathered(pc) {
  return new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") return resolve();
    pc.addEventListener("icegatheringstatechange", () => pc.iceGatheringState === "complete" && resolve());
  });
}

async function connect(track) {
  const pc = new RTCPeerConnection();
  state.channel = pc.createDataChannel("control");
  state.channel.onopen = () => send(controls());
  state.channel.onmessage = (e) => { const m = JSON.parse(e.data); if (m.error) showMessage(m.error); };
  const sender = pc.addTrack(track);
  pc.ontrack = (e) => {
    if ("jitterBufferTarget" in e.receiver) e.receiver.jitterBufferTarget = 0;  // show frames as they come
    $("output").srcObject = new MediaStream([e.track]);
  };
  pc.onconnectionstatechange = () => {
    if (pc.connectionState === "failed") showMessage("the connection to the server failed");
  };
  await pc.setLocalDescription(await pc.createOffer());
  await iceGathered(pc);
  const answer = await api("/api/offer", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ sdp: pc.localDescription.sdp, type: pc.localDescription.type }),
  });
  state.stream = answer.stream;
  await pc.setRemoteDescription({ sdp: answer.sdp, type: answer.type });
  const params = sender.getParameters();
  params.degradationPreference = "maintain-resolution";  // the stylized size is the camera's size
  await sender.setParameters(params).catch(() => {});
}

function watchOutput() {
  const video = $("output"), canvas = document.createElement("canvas");
  canvas.width = STAMP.COLS * STAMP.CELL;
  canvas.height = STAMP.ROWS * STAMP.CELL;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  const onFrame = (_, meta) => {
    const shown = performance.timeOrigin + meta.expectedDisplayTime;
    state.status = "playing";
    state.shown.push(shown);
    ctx.drawImage(video, 0, 0, canvas.width, canvas.height, 0, 0, canvas.width, canvas.height);
    const ms = readStamp(ctx.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width);
    if (ms !== null && state.sent.has(ms)) state.samples.push({ t: shown, latency: shown - ms });
    else if (ms !== null) state.misread++;
    if (state.record && shown <= state.record.until) {
      const g = grab();
      state.record.frames.push({ shown, ...g, input: g.stamp === null ? null : state.inputs.get(g.stamp) });
    }
    if (state.shown.length > KEEP_SAMPLES) state.shown.shift();
    if (state.samples.length > KEEP_SAMPLES) state.samples.shift();
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
}

function percentile(values, q) {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((q / 100) * sorted.length))];
}

// fps and latency p50/p95 over the frames shown since `since` (page ms; default: the last 2 s).
function stats(since) {
  const from = since ?? now() - 2000;
  const shown = state.shown.filter((t) => t >= from);
  const lat = state.samples.filter((s) => s.t >= from).map((s) => s.latency);
  const span = shown.length > 1 ? (shown[shown.length - 1] - shown[0]) / 1000 : 0;
  const video = $("output");
  return { fps: span ? (shown.length - 1) / span : 0, frames: shown.length, p50: percentile(lat, 50),
           p95: percentile(lat, 95), stamped: lat.length, misread: state.misread, width: video.videoWidth,
           height: video.videoHeight };
}

// Where the model paints keyframes: their rate and size, from the server's stats (polled once a second).
async function pollKeyframes() {
  if (!state.stream || state.status !== "playing") return;
  const all = await api("/api/stats").catch(() => null);
  const mine = all && all[state.stream];
  state.keyframes = mine && mine.keyframes !== null ? mine : null;
}

function showReadout() {
  const s = stats();
  const latency = s.stamped ? `capture→display p50 ${s.p50.toFixed(0)} ms p95 ${s.p95.toFixed(0)} ms` : "no latency stamp";
  const k = state.keyframes;
  const keys = k ? [`${k.keyframe_rate.toFixed(1)} keyframes/s at ${k.keyframe_short} px`] : [];
  const parts = [`${s.fps.toFixed(1)} fps`, ...keys, ...(state.config.stamp ? [latency] : []), `${s.width}×${s.height}`];
  $("readout").textContent = state.status === "playing" ? parts.join(" · ") : state.status;
}

// The output frame now on screen, as a PNG data URL, with the stamp it carries.
function grab() {
  const video = $("output"), canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(video, 0, 0);
  const stamp = readStamp(ctx.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width);
  return { png: canvas.toDataURL("image/png"), stamp, t: now() };
}

// Keep every output frame shown in the next `ms` milliseconds ({shown, png, stamp, t, input: the camera frame's
// ImageData while state.keepInputs is on}); returns the start time.
function record(ms) {
  const start = now();
  state.record = { until: start + ms, frames: [] };
  return start;
}

// The stamped camera frame that carried `ms`, as a PNG data URL (only while state.keepInputs is on).
function inputFrame(ms) {
  return pngOf(state.inputs.get(ms));
}

function pngOf(image) {
  if (!image) return null;
  const canvas = document.createElement("canvas");
  canvas.width = image.width;
  canvas.height = image.height;
  canvas.getContext("2d").putImageData(image, 0, 0);
  return canvas.toDataURL("image/png");
}

function snapshot() {
  const video = $("output"), canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext("2d").drawImage(video, 0, 0);
  canvas.toBlob((blob) => {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `vidstyle-${new Date().toISOString().replace(/[:.]/g, "-")}.png`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }, "image/png");
}

async function uploadStyle() {
  const file = $("upload").files[0];
  $("upload").value = "";
  if (!file) return;
  if (file.size > state.config.max_upload_bytes) {
    showMessage(`upload refused: ${file.name} is larger than ${state.config.max_upload_bytes >> 20} MiB`);
    return;
  }
  try {
    const r = await api(`/api/upload?stream=${state.stream}&name=${encodeURIComponent(file.name)}`,
                        { method: "POST", body: file });
    addStyle(r.id, r.name, URL.createObjectURL(file));
    markStyle(r.id);
    showMessage("");
  } catch (e) {
    showMessage(`upload refused: ${e.message}`);
  }
}

function wireControls() {
  $("strength").oninput = () => send({ strength: Number($("strength").value) });
  $("temporal").onchange = () => send({ temporal: $("temporal").checked });
  $("colour").onchange = () => send({ preserve_color: $("colour").value || null });
  $("output-only").onchange = () => $("videos").classList.toggle("output-only", $("output-only").checked);
  $("snapshot").onclick = snapshot;
  $("upload").onchange = uploadStyle;
}

async function main() {
  try {
    const config = state.config = await api("/api/config");
    for (const s of config.styles) addStyle(s.id, s.name, `/api/thumb/${s.id}`);
    markStyle(config.default_style);
    $("temporal").checked = config.temporal_on;
    $("temporal").disabled = !config.features.temporal;
    $("colour-control").hidden = !config.features.preserve_color;
    $("colour").value = config.preserve_color || "";
    $("stamp-control").hidden = !config.stamp;
    $("stamp").checked = config.stamp;
    wireControls();
    setInterval(showReadout, 500);
    setInterval(pollKeyframes, 1000);
    await connect(await startCamera());
    watchOutput();
  } catch (e) {
    state.status = `error: ${e.message}`;
    showMessage(e.message);
  }
}

window.vidstyle = { state, stats, grab, inputFrame, pngOf, now, record };
main();
