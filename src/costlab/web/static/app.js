/* costlab serve: the page's behaviour. Every number drawn comes from the JSON API
 * (/api/neuron, /api/train), computed by costlab's Python engine; this file only
 * reads controls, asks, and draws. */
"use strict";

const COLORS = { "quadratic": "#d9480f", "cross-entropy": "#1971c2", "log-likelihood": "#2f9e44" };
const $ = (sel) => document.querySelector(sel);
const DEBOUNCE_MS = 90;

/* ------------------------------------------------------------------ tabs */
function showTab(name) {
  for (const t of ["neuron", "network", "layers"]) {
    $(`#tab-${t}`).setAttribute("aria-selected", String(t === name));
    $(`#view-${t}`).hidden = t !== name;
  }
  if (name === "neuron") drawNeuron(); else if (name === "network") drawNetwork(); else drawLayers();
}
$("#tab-neuron").addEventListener("click", () => showTab("neuron"));
$("#tab-network").addEventListener("click", () => showTab("network"));
$("#tab-layers").addEventListener("click", () => showTab("layers"));

/* ------------------------------------------------------------------ one neuron */
const FIELDS = ["w", "b", "a0", "x", "y", "eta", "epochs"];
const neuron = { data: null, epoch: null, startBy: "b", seq: 0, abort: null, timer: null, playing: null };

function setField(name, value) {
  const v = String(+(+value).toPrecision(6));
  $(`#${name}`).value = v;
  $(`#${name}-range`).value = v;
}

function costsShown() {
  return ["quadratic", "cross-entropy"].filter((c) => $(`#show-${c}`).checked);
}

function neuronQuery() {
  const q = new URLSearchParams();
  for (const name of ["w", "x", "y", "eta", "epochs"]) q.set(name, $(`#${name}`).value);
  if (neuron.startBy === "a0") q.set("a0", $("#a0").value); else q.set("b", $("#b").value);
  q.set("costs", costsShown().join(","));
  return q;
}

function scheduleNeuron() {
  clearTimeout(neuron.timer);
  neuron.timer = setTimeout(updateNeuron, DEBOUNCE_MS);
}

async function updateNeuron() {
  const status = $("#neuron-status");
  if (!costsShown().length) {
    status.textContent = "Choose at least one cost.";
    status.className = "status error";
    return;
  }
  if (neuron.abort) neuron.abort.abort();
  const abort = neuron.abort = new AbortController();
  const seq = ++neuron.seq;
  status.textContent = "computing…";
  status.className = "status busy";
  try {
    const r = await fetch("/api/neuron?" + neuronQuery(), { signal: abort.signal });
    const j = await r.json();
    if (seq !== neuron.seq) return;
    if (!r.ok) {
      status.textContent = j.error || `error ${r.status}`;
      status.className = "status error";
      return;
    }
    const wasAtEnd = neuron.data === null || neuron.epoch === null || neuron.epoch >= neuron.data.params.epochs;
    neuron.data = j;
    // the API answers with the start in both forms: keep the other control in step
    if (neuron.startBy === "a0") setField("b", j.params.b); else setField("a0", j.a0);
    neuron.epoch = wasAtEnd ? j.params.epochs : Math.min(neuron.epoch, j.params.epochs);
    const slider = $("#epoch");
    slider.max = j.params.epochs;
    slider.value = neuron.epoch;
    status.textContent = `computed in ${j.elapsed_ms.toFixed(0)} ms by costlab's engine`;
    status.className = "status ok";
    document.body.dataset.neuronSeq = String(seq);
    drawNeuron();
  } catch (e) {
    if (e.name === "AbortError") return;
    status.textContent = "The server did not answer: " + e.message;
    status.className = "status error";
  }
}

function legend(id, items) {
  const box = document.querySelector(`.legend[data-for="${id}"]`);
  box.innerHTML = "";
  for (const it of items) {
    const s = document.createElement("span");
    s.className = "key" + (it.dash ? " dashed" : "");
    s.style.setProperty("--c", it.color);
    s.textContent = it.label;
    box.appendChild(s);
  }
}

function fixed(v, n) { return v === null || v === undefined ? "–" : (+v).toFixed(n); }
function sig(v) { return Math.abs(v) >= 0.001 || v === 0 ? (+v).toPrecision(3) : (+v).toExponential(2); }

function drawResults(d) {
  const box = $("#results");
  box.innerHTML = "";
  const E = d.params.epochs;
  for (const [cost, run] of Object.entries(d.runs)) {
    const a = run.a[E], C = run.C[E];
    const card = document.createElement("div");
    card.className = "result card";
    card.id = `final-${cost}`;
    card.style.setProperty("--c", COLORS[cost]);
    const first = run.first_below_half;
    card.innerHTML =
      `<div class="result-head">${cost}<span class="word"> cost</span></div>` +
      `<div class="big"><span class="label">a(${E}) =</span> <span class="final-a">${fixed(a, 4)}</span></div>` +
      `<div class="small">from a(0) = ${fixed(run.a[0], 4)}; C(${E}) = <span class="final-C">${sig(C)}</span></div>` +
      `<div class="small">first a &lt; 0.5: <strong class="first">${first === null ? "never" : "epoch " + first}</strong></div>`;
    box.appendChild(card);
  }
}

function drawReadout(d, e) {
  const parts = [];
  for (const [cost, run] of Object.entries(d.runs)) {
    const kv = (k, v) => `<span class="kv">${k} = ${v}</span>`;
    parts.push(`<span class="ro c-${cost}"><b>${cost}</b> ` + [kv("a", fixed(run.a[e], 4)), kv("z", fixed(run.z[e], 3)),
      kv("&sigma;′(z)", sig(run.slope[e])), kv("|∂C/∂b|", sig(Math.abs(run.dC_db[e])))].join(", ") + "</span>");
  }
  $("#readout").innerHTML = parts.join("");
  $("#epoch-value").textContent = String(e);
}

function drawNeuron() {
  const d = neuron.data;
  if (!d || $("#view-neuron").hidden) return;
  const E = d.params.epochs;
  const e = Math.min(neuron.epoch ?? E, E);
  const epochs = [0, Math.max(E, 1)];
  const runs = Object.entries(d.runs);
  drawResults(d);
  drawReadout(d, e);
  const y = d.params.y;

  legend("chart-output", runs.map(([c]) => ({ label: c, color: COLORS[c] })));
  Chart.draw($("#chart-output"), {
    x: epochs, y: [0, 1], xlabel: "epoch", ylabel: "output a",
    hlines: [{ y, label: `target y = ${y}` }, { y: 0.5, label: "" }],
    series: runs.map(([c, r]) => ({ name: c, color: COLORS[c], x: r.epoch, y: r.a })),
    points: runs.map(([c, r]) => ({ name: c, x: e, y: r.a[e], color: COLORS[c], r: 4.5 })),
    vline: e,
  });

  legend("chart-cost", runs.map(([c, r]) => ({ label: `${c}, C(0) = ${sig(r.C[0])}`, color: COLORS[c] })));
  const rel = runs.map(([c, r]) => [c, r, r.C.map((v) => (r.C[0] > 0 ? v / r.C[0] : 0))]);
  const relMax = Math.max(1, ...rel.map(([, , v]) => Math.max(...v)));
  Chart.draw($("#chart-cost"), {
    x: epochs, y: [0, relMax * 1.02], xlabel: "epoch", ylabel: "C / C(0)",
    series: rel.map(([c, r, v]) => ({ name: c, color: COLORS[c], x: r.epoch, y: v })),
    points: rel.map(([c, , v]) => ({ name: c, x: e, y: v[e], color: COLORS[c], r: 4.5 })),
    vline: e,
  });

  const s = d.sigmoid;
  const zlo = s.z[0], zhi = s.z[s.z.length - 1];
  const segs = [], pts = [{ name: "start", x: d.z0, y: d.a0, color: "#495057", r: 5, hollow: true }];
  const span = (zhi - zlo) / 14;
  for (const [c, r] of runs) {
    const z = r.z[e], a = r.a[e], k = r.slope[e];
    segs.push({ x1: z - span, y1: a - k * span, x2: z + span, y2: a + k * span, color: COLORS[c], width: 3 });
    pts.push({ name: c, x: z, y: a, color: COLORS[c], r: 6 });
  }
  legend("chart-sigmoid", [{ label: "σ(z)", color: "#343a40" }, { label: "start", color: "#868e96", dash: true },
    ...runs.map(([c]) => ({ label: `${c} at epoch ${e}, with tangent`, color: COLORS[c] }))]);
  Chart.draw($("#chart-sigmoid"), {
    x: [zlo, zhi], y: [-0.04, 1.04], xlabel: "weighted input z = w x + b", ylabel: "a = σ(z)",
    series: [{ name: "sigmoid", color: "#343a40", x: s.z, y: s.a, width: 2 }],
    segments: segs, points: pts, hlines: [{ y, label: "" }],
  });

  legend("chart-grad", runs.map(([c]) => ({ label: c, color: COLORS[c] })));
  const g = runs.map(([c, r]) => [c, r, r.dC_db.map(Math.abs)]);
  const gpos = g.flatMap(([, , v]) => v.filter((x) => x > 0));
  const gmax = gpos.length ? Math.max(...gpos) : 1, gmin = gpos.length ? Math.min(...gpos) : 1e-3;
  const hi = Math.pow(10, Math.ceil(Math.log10(gmax) + 0.01));
  const lo = Math.max(Math.pow(10, Math.floor(Math.log10(gmin))), hi * 1e-8);
  Chart.draw($("#chart-grad"), {
    x: epochs, y: [lo, hi], ylog: true, xlabel: "epoch", ylabel: "|∂C/∂b|",
    series: g.map(([c, r, v]) => ({ name: c, color: COLORS[c], x: r.epoch, y: v })),
    points: g.map(([c, , v]) => ({ name: c, x: e, y: Math.max(v[e], lo), color: COLORS[c], r: 4.5 })),
    vline: e,
  });
}

function setEpoch(e) {
  if (!neuron.data) return;
  neuron.epoch = Math.round(Math.min(Math.max(e, 0), neuron.data.params.epochs));
  $("#epoch").value = neuron.epoch;
  drawNeuron();
}

function stopPlaying() {
  if (neuron.playing) cancelAnimationFrame(neuron.playing);
  neuron.playing = null;
  $("#play").innerHTML = "&#9654;";
  $("#play").setAttribute("aria-label", "play the training");
}

function play() {
  if (neuron.playing) { stopPlaying(); return; }
  if (!neuron.data) return;
  const E = neuron.data.params.epochs;
  if (neuron.epoch >= E) setEpoch(0);
  $("#play").innerHTML = "&#10073;&#10073;";
  $("#play").setAttribute("aria-label", "pause");
  const perFrame = Math.max(1, E / 240);  // about four seconds for the whole run
  let e = neuron.epoch;
  const step = () => {
    e = Math.min(E, e + perFrame);
    setEpoch(e);
    if (e >= E) { stopPlaying(); return; }
    neuron.playing = requestAnimationFrame(step);
  };
  neuron.playing = requestAnimationFrame(step);
}

function wireNeuron() {
  for (const name of FIELDS) {
    const box = $(`#${name}`), range = $(`#${name}-range`);
    const changed = (value, source) => {
      if (source !== box) box.value = value;
      if (source !== range) range.value = value;
      if (name === "a0") neuron.startBy = "a0";
      else if (name === "b") neuron.startBy = "b";
      scheduleNeuron();
    };
    range.addEventListener("input", () => changed(range.value, range));
    box.addEventListener("input", () => { if (box.value !== "") changed(box.value, box); });
  }
  for (const c of ["quadratic", "cross-entropy"]) $(`#show-${c}`).addEventListener("change", scheduleNeuron);
  $("#epoch").addEventListener("input", () => { stopPlaying(); setEpoch(+$("#epoch").value); });
  $("#play").addEventListener("click", play);
  for (const id of ["chart-output", "chart-cost", "chart-grad"]) {
    const svg = $(`#${id}`);
    const seek = (ev) => { if (neuron.data) { stopPlaying(); setEpoch(Chart.xAt(svg, ev)); } };
    svg.addEventListener("pointerdown", (ev) => { svg.setPointerCapture(ev.pointerId); seek(ev); });
    svg.addEventListener("pointermove", (ev) => { if (ev.buttons) seek(ev); });
  }
}

async function loadPresets() {
  const box = $("#presets");
  try {
    const r = await fetch("/api/presets");
    const j = await r.json();
    for (const p of j.presets) {
      const b = document.createElement("button");
      b.className = "preset";
      b.dataset.preset = p.name;
      b.innerHTML = `${p.label}<small>w = ${p.w}, b = ${p.b}, η = ${p.eta}, ${p.epochs} epochs</small>`;
      b.addEventListener("click", () => {
        for (const k of ["w", "b", "x", "y", "eta", "epochs"]) setField(k, p[k]);
        neuron.startBy = "b";
        neuron.epoch = null;
        for (const c of ["quadratic", "cross-entropy"]) $(`#show-${c}`).checked = true;
        for (const other of box.querySelectorAll(".preset")) other.classList.toggle("active", other === b);
        updateNeuron();
      });
      box.appendChild(b);
    }
  } catch (e) {
    box.textContent = "presets unavailable: " + e.message;
  }
}

/* ------------------------------------------------------------------ a network on digits */
const net = { id: null, abort: null, series: {}, costs: [], epochs: 30, running: false };

function trainQuery() {
  return new URLSearchParams({
    costs: [$("#cost-a").value, $("#cost-b").value].join(","),
    init: $("#init").value, hidden: $("#hidden").value, eta: $("#net-eta").value,
    epochs: $("#net-epochs").value, batch_size: $("#batch").value, seed: $("#seed").value, pace: $("#pace").value,
  });
}

function setTraining(running, message, kind) {
  net.running = running;
  $("#train-start").disabled = running;
  $("#train-stop").disabled = !running;
  const st = $("#train-status");
  st.textContent = message;
  st.className = "status " + (kind || "");
  document.body.dataset.training = running ? "running" : "idle";
}

function parseEvent(block) {
  let event = "message", data = "";
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data += line.slice(5).trim();
  }
  return { event, data: data ? JSON.parse(data) : null };
}

function handleTrainEvent({ event, data }) {
  if (event === "start") {
    net.id = data.id;
    net.costs = data.params.costs;
    net.epochs = data.params.epochs;
    net.series = Object.fromEntries(net.costs.map((c) => [c, { epoch: [], test: [], train: [], cost: [] }]));
    setTraining(true, "training…", "busy");
  } else if (event === "epoch") {
    for (const [c, r] of Object.entries(data.runs)) {
      const s = net.series[c];
      s.epoch.push(data.epoch);
      s.test.push(r.eval_accuracy * 100);
      s.train.push(r.train_accuracy * 100);
      s.cost.push(r.eval_cost);
    }
    $("#train-status").textContent = `epoch ${data.epoch} of ${net.epochs} (${data.elapsed_s.toFixed(1)} s)`;
    document.body.dataset.trainEpoch = String(data.epoch);
    drawNetwork();
  } else if (event === "done") {
    setTraining(false, `done: ${data.epochs} epochs in ${data.elapsed_s.toFixed(1)} s`, "ok");
  } else if (event === "stopped") {
    setTraining(false, `stopped (${data.reason})`, "");
  } else if (event === "error") {
    setTraining(false, data.error, "error");
  }
}

async function startTraining() {
  if (net.running) return;
  $("#hidden-echo").textContent = $("#hidden").value;
  const abort = net.abort = new AbortController();
  setTraining(true, "starting…", "busy");
  try {
    const r = await fetch("/api/train?" + trainQuery(), { signal: abort.signal });
    if (!r.ok) {
      const j = await r.json();
      setTraining(false, j.error || `error ${r.status}`, "error");
      return;
    }
    const reader = r.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let i;
      while ((i = buffer.indexOf("\n\n")) >= 0) {
        handleTrainEvent(parseEvent(buffer.slice(0, i)));
        buffer = buffer.slice(i + 2);
      }
    }
    if (net.running) setTraining(false, "the stream ended", "");
  } catch (e) {
    if (e.name === "AbortError") setTraining(false, "stopped", "");
    else setTraining(false, "The server did not answer: " + e.message, "error");
  }
}

async function stopTraining() {
  if (net.id) {
    try { await fetch(`/api/train/${net.id}/stop`, { method: "POST" }); } catch (e) { /* closing is enough */ }
  }
  // closing the stream stops the server's worker too
  setTimeout(() => { if (net.running && net.abort) net.abort.abort(); }, 1500);
}

function drawNetwork() {
  if ($("#view-network").hidden) return;
  const costs = net.costs.length ? net.costs : [$("#cost-a").value, $("#cost-b").value];
  const E = Math.max(net.epochs, 1);
  legend("chart-acc", costs.map((c) => ({ label: c, color: COLORS[c] })));
  const series = [];
  for (const c of costs) {
    const s = net.series[c];
    if (!s) continue;
    series.push({ name: `${c} test`, color: COLORS[c], x: s.epoch, y: s.test });
    series.push({ name: `${c} training`, color: COLORS[c], x: s.epoch, y: s.train, dash: "6 4", width: 1.6 });
  }
  Chart.draw($("#chart-acc"), {
    x: [0, E], y: [0, 100], xlabel: "epoch", ylabel: "accuracy (%)", series,
    yformat: (v) => v + "%",
  });
  legend("chart-netcost", costs.map((c) => ({ label: c, color: COLORS[c] })));
  const cseries = costs.filter((c) => net.series[c]).map((c) => ({ name: c, color: COLORS[c], x: net.series[c].epoch, y: net.series[c].cost }));
  const cvals = cseries.flatMap((s) => s.y.filter((v) => v !== null && isFinite(v) && v > 0));
  const chi = Math.pow(10, Math.ceil(Math.log10(Math.max(1, ...cvals)) + 0.01));
  const clo = Math.pow(10, Math.floor(Math.log10(Math.min(chi / 10, ...cvals))));
  Chart.draw($("#chart-netcost"), { x: [0, E], y: [clo, chi], ylog: true, xlabel: "epoch", ylabel: "test cost C", series: cseries });

  const box = $("#net-results");
  box.innerHTML = "";
  for (const c of costs) {
    const s = net.series[c];
    const card = document.createElement("div");
    card.className = "result card";
    card.id = `net-${c}`;
    card.style.setProperty("--c", COLORS[c]);
    const n = s ? s.epoch.length : 0;
    const last = n ? s.test[n - 1] : null;
    const best = n ? Math.max(...s.test) : null;
    card.innerHTML = `<div class="result-head">${c}</div>` +
      `<div class="big"><span class="label">test accuracy</span> <span class="acc">${last === null ? "–" : last.toFixed(1) + "%"}</span></div>` +
      `<div class="small">epoch ${n ? s.epoch[n - 1] : "–"}; best ${best === null ? "–" : best.toFixed(1) + "%"}</div>`;
    box.appendChild(card);
  }
}

/* ------------------------------------------------------------------ inside the network */
const LAYER_COLORS = ["#440154", "#31688e", "#35b779", "#90d743", "#fde725"];
const lay = { running: false, id: null, abort: null, params: null, series: {} };

function checked(name) { return [...document.querySelectorAll(`input[name=${name}]:checked`)].map((e) => e.value); }

function setLayers(running, message, kind) {
  lay.running = running;
  $("#lay-start").disabled = running;
  $("#lay-stop").disabled = !running;
  $("#lay-status").textContent = message;
  $("#lay-status").className = "status " + (kind || "");
  document.body.dataset.layers = running ? "running" : "idle";
}

function handleLayersEvent({ event, data }) {
  if (event === "start") {
    lay.id = data.id;
    lay.params = data.params;
    lay.series = {};
    setLayers(true, "training…", "busy");
  } else if (event === "epoch") {
    for (const [cost, r] of Object.entries(data.runs)) {
      const key = `${cost}, ${data.activation}`;
      const s = lay.series[key] || (lay.series[key] = { epoch: [], speed: [] });
      s.epoch.push(data.epoch);
      s.speed.push(r.speed);
    }
    $("#lay-status").textContent = `${data.activation}: epoch ${data.epoch} of ${lay.params.epochs} (${data.elapsed_s.toFixed(1)} s)`;
    document.body.dataset.layersEpoch = `${data.activation} ${data.epoch}`;
    drawLayers();
  } else if (event === "done") {
    setLayers(false, `done in ${data.elapsed_s.toFixed(1)} s`, "ok");
  } else if (event === "stopped") {
    setLayers(false, `stopped (${data.reason})`, "");
  } else if (event === "error") {
    setLayers(false, data.error, "error");
  }
}

async function startLayers() {
  if (lay.running) return;
  const q = new URLSearchParams({
    costs: checked("lay-cost").join(","), activations: checked("lay-act").join(","),
    depth: $("#lay-depth").value, hidden: $("#lay-hidden").value, eta: $("#lay-eta").value, epochs: $("#lay-epochs").value,
  });
  const abort = lay.abort = new AbortController();
  setLayers(true, "starting…", "busy");
  try {
    const r = await fetch("/api/layers?" + q, { signal: abort.signal });
    if (!r.ok) {
      const j = await r.json();
      setLayers(false, j.error || `error ${r.status}`, "error");
      return;
    }
    const reader = r.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let i;
      while ((i = buffer.indexOf("\n\n")) >= 0) {
        handleLayersEvent(parseEvent(buffer.slice(0, i)));
        buffer = buffer.slice(i + 2);
      }
    }
    if (lay.running) setLayers(false, "the stream ended", "");
  } catch (e) {
    if (e.name === "AbortError") setLayers(false, "stopped", "");
    else setLayers(false, "The server did not answer: " + e.message, "error");
  }
}

async function stopLayers() {
  if (lay.id) {
    try { await fetch(`/api/train/${lay.id}/stop`, { method: "POST" }); } catch (e) { /* closing is enough */ }
  }
  setTimeout(() => { if (lay.running && lay.abort) lay.abort.abort(); }, 1500);
}

function drawLayers() {
  if ($("#view-layers").hidden) return;
  const box = $("#lay-charts");
  const keys = Object.keys(lay.series);
  const values = keys.flatMap((k) => lay.series[k].speed.flat()).filter((v) => v !== null && v > 0 && isFinite(v));
  if (!values.length) { box.innerHTML = ""; return; }
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...values)) + 0.01));
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...values))));
  const E = Math.max(lay.params ? lay.params.epochs : 1, 1);
  for (const key of keys) {
    const id = "lay-chart-" + key.replace(/[^a-z]+/g, "-");
    let fig = document.getElementById(id);
    if (!fig) {
      fig = document.createElement("figure");
      fig.className = "card chart-card";
      fig.id = id;
      fig.innerHTML = `<figcaption><span class="title">${key}: ||&nabla;b|| per layer (log scale)</span> <span class="legend" data-for="${id}-svg"></span></figcaption>` +
        `<svg id="${id}-svg" class="chart" role="img" aria-label="speed of learning of each layer, ${key}"></svg>`;
      box.appendChild(fig);
    }
    const s = lay.series[key];
    const L = s.speed[0].length;
    const names = [...Array(L).keys()].map((l) => (l === L - 1 ? "output" : `hidden ${l + 1}`));
    legend(`${id}-svg`, names.map((n, l) => ({ label: n, color: LAYER_COLORS[Math.round(l * 4 / Math.max(L - 1, 1))] })));
    const series = names.map((n, l) => ({
      name: n, color: LAYER_COLORS[Math.round(l * 4 / Math.max(L - 1, 1))], x: s.epoch,
      y: s.speed.map((row) => (row[l] > 0 ? row[l] : null)),
    }));
    Chart.draw($(`#${id}-svg`), { x: [0, E], y: [lo, hi], ylog: true, xlabel: "epoch", ylabel: "||∇b||", series });
  }
}

/* ------------------------------------------------------------------ start */
if (window.matchMedia("(max-width: 760px)").matches) $("details.more").open = false;
wireNeuron();
$("#train-start").addEventListener("click", startTraining);
$("#train-stop").addEventListener("click", stopTraining);
$("#lay-start").addEventListener("click", startLayers);
$("#lay-stop").addEventListener("click", stopLayers);
for (const id of ["cost-a", "cost-b"]) $(`#${id}`).addEventListener("change", () => { if (!net.running) { net.costs = []; net.series = {}; drawNetwork(); } });
let resizeTimer = null;
new ResizeObserver(() => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => { drawNeuron(); drawNetwork(); drawLayers(); }, 50);
}).observe(document.body);
loadPresets().then(updateNeuron);
