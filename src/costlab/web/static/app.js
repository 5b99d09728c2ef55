/* costlab serve: the page's behaviour. Every number drawn comes from the JSON API
 * (/api/neuron, /api/train), computed by costlab's Python engine; this file only
 * reads controls, asks, and draws. */
"use strict";

const $ = (sel) => document.querySelector(sel);
const DEBOUNCE_MS = 90;

/* ------------------------------------------------------------------ palette and words */
// costlab's palette (costlab.palette) and the Chinese catalogue (costlab.i18n), from /api/presets
let PALETTE = { costs: {}, formulas: ["#495057"], ink: "#343a40", muted: "#868e96" };
let ZH = {};
let LANG = "en";
/* Tabs that live in their own script (playground.js) register here: {show(), hide(), query(), lang()}. */
const TAB_HOOKS = {};
/* The address the page opened with: a tab's script that runs later reads its state from it. */
const INITIAL_SEARCH = location.search;

function crc32(text) {
  let c, crc = 0xFFFFFFFF;
  for (const byte of new TextEncoder().encode(text)) {
    c = (crc ^ byte) & 0xFF;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xEDB88320 : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xFFFFFFFF) >>> 0;
}

/* The colour of a cost: its base name's for a built-in, else one of the formula colours (as costlab.palette). */
function color(cost) {
  const base = cost.split("(")[0].trim();
  return PALETTE.costs[base] || PALETTE.formulas[crc32(cost) % PALETTE.formulas.length];
}

/* A message in the page's language, its {fields} filled in. */
function t(message, fields) {
  const text = LANG === "zh" && ZH[message] !== undefined ? ZH[message] : message;
  const out = text.replace(/\{(\w+)\}/g, (m, k) => (fields && k in fields ? fields[k] : m));
  // in Chinese a Latin letter and a Han character that meet are set apart by a space (as costlab.i18n.spaced)
  return LANG === "zh" ? out.replace(/([A-Za-z])(?=[\u4e00-\u9fff])|([\u4e00-\u9fff])(?=[A-Za-z])/g, "$1$2 ") : out;
}

function costName(c) { return { quadratic: t("quadratic"), "cross-entropy": t("cross-entropy"), "log-likelihood": t("log-likelihood") }[c] || c; }
function actName(a) { return { sigmoid: t("sigmoid"), tanh: t("tanh"), relu: t("ReLU") }[a] || a; }

/* fetch, telling the server the page's language (its refusals come back in it). */
function ask(url, options) {
  const o = { ...(options || {}) };
  o.headers = { ...(o.headers || {}), "Accept-Language": LANG === "zh" ? "zh-CN" : "en" };
  return fetch(url, o);
}

function setLang(lang) {
  LANG = lang === "zh" ? "zh" : "en";
  document.documentElement.lang = LANG === "zh" ? "zh-CN" : "en";
  for (const el of document.querySelectorAll("[data-i18n]")) {
    if (el.dataset.en === undefined) el.dataset.en = el.innerHTML.replace(/\s+/g, " ").trim();
    el.innerHTML = LANG === "zh" && ZH[el.dataset.en] !== undefined ? ZH[el.dataset.en] : el.dataset.en;
  }
  for (const el of document.querySelectorAll("[aria-label]:not(#lang)")) {
    if (el.dataset.enLabel === undefined) el.dataset.enLabel = el.getAttribute("aria-label");
    el.setAttribute("aria-label", t(el.dataset.enLabel));
  }
  document.title = t("costlab: the learning slowdown, live");
  for (const b of document.querySelectorAll(".preset")) if (b.presetLabel) b.innerHTML = b.presetLabel();
  for (const b of document.querySelectorAll(".export button[data-fmt]")) b.title = t("Download this chart as {fmt}", { fmt: b.dataset.fmt.toUpperCase() });
  $("#play").setAttribute("aria-label", neuron.playing ? t("pause") : t("play the training"));
  for (const [job, set] of [[net, setTraining], [lay, setLayers]]) if (job.status) set(job.running, job.status, job.statusKind, job.statusMsg);
  $("#lang").textContent = LANG === "zh" ? "English" : "中文";
  $("#lang").setAttribute("lang", LANG === "zh" ? "en" : "zh-CN");
  drawNeuron();
  drawNetwork();
  for (const hook of Object.values(TAB_HOOKS)) if (hook.lang) hook.lang();
  saveState();
}

/* ------------------------------------------------------------------ the page's state in its URL */
const URL_FIELDS = { w: "#w", b: "#b", a0: "#a0", x: "#x", y: "#y", eta: "#eta", epochs: "#epochs", z: "#logit-z",
  cost_a: "#cost-a", cost_b: "#cost-b", init: "#init", hidden: "#hidden", net_eta: "#net-eta", net_epochs: "#net-epochs",
  batch: "#batch", seed: "#seed", pace: "#pace" };
let saveTimer = null;

function currentTab() {
  const tab = document.querySelector('[role=tab][aria-selected="true"]');
  return tab ? tab.id.replace(/^tab-/, "") : "neuron";
}

function stateQuery() {
  const hook = TAB_HOOKS[currentTab()];
  if (hook && hook.query) {  // a tab with its own keys: only its state goes into the link
    const own = hook.query();
    own.set("tab", currentTab());
    own.set("lang", LANG);
    return own;
  }
  const q = new URLSearchParams();
  for (const [k, sel] of Object.entries(URL_FIELDS)) {
    if ((k === "b" && neuron.startBy === "a0") || (k === "a0" && neuron.startBy !== "a0")) continue;
    q.set(k, $(sel).value);
  }
  q.set("costs", costsShown().join(","));
  if (neuron.epoch !== null) q.set("epoch", String(neuron.epoch));
  q.set("tab", $("#view-network").hidden ? "neuron" : "network");
  q.set("lang", LANG);
  return q;
}

function saveState() {
  clearTimeout(saveTimer);
  saveTimer = setTimeout(() => {
    // the link asks for the playground, whose script (playground.js) has not run yet: keep the link as it is
    if (new URLSearchParams(INITIAL_SEARCH).get("tab") === "playground" && !TAB_HOOKS.playground) return;
    history.replaceState(null, "", location.pathname + "?" + stateQuery());
    document.body.dataset.urlSaved = String(Date.now());
  }, 120);
}

/* Set every control named in the URL; returns the epoch and tab it asks for. */
function restoreState() {
  const q = new URLSearchParams(location.search);
  // the playground reads its own keys (playground.js)
  if (q.get("tab") === "playground") return { tab: "playground", lang: q.get("lang") === "zh" ? "zh" : "en" };
  for (const [k, sel] of Object.entries(URL_FIELDS)) {
    if (!q.has(k) || q.get(k) === "") continue;
    const box = $(sel), range = $(sel + "-range");
    box.value = q.get(k);
    if (range) range.value = q.get(k);
  }
  if (q.has("a0") && !q.has("b")) neuron.startBy = "a0";
  if (q.has("costs")) {
    const chosen = q.get("costs").split(",");
    for (const c of ["quadratic", "cross-entropy"]) $(`#show-${c}`).checked = chosen.includes(c);
  }
  if (q.has("epoch") && isFinite(+q.get("epoch"))) neuron.pendingEpoch = Math.max(0, Math.round(+q.get("epoch")));
  return { tab: q.get("tab") === "network" ? "network" : "neuron", lang: q.get("lang") === "zh" ? "zh" : "en" };
}

async function copyLink() {
  clearTimeout(saveTimer);
  history.replaceState(null, "", location.pathname + "?" + stateQuery());
  const status = $("#copy-status");
  try {
    await navigator.clipboard.writeText(location.href);
    status.textContent = t("Link copied");
  } catch (e) {
    // no clipboard (an insecure page, a refused permission): offer the link to copy by hand
    window.prompt(t("Copy this link:"), location.href);
    status.textContent = "";
  }
  setTimeout(() => { status.textContent = ""; }, 2500);
}

/* ------------------------------------------------------------------ exporting a chart */
function download(blob, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

async function exportChart(figure, fmt) {
  const svg = figure.querySelector("svg.chart");
  const title = figure.querySelector("figcaption .title").textContent.replace(/\s+/g, " ").trim();
  const keys = [...figure.querySelectorAll(".legend .key")].map((k) => ({
    label: k.textContent, color: k.style.getPropertyValue("--c"), dash: k.classList.contains("dashed") }));
  const text = Chart.toSVG(svg, title, keys);
  const name = `costlab-${svg.id.replace(/^chart-/, "")}.${fmt}`;
  if (fmt === "svg") download(new Blob([text], { type: "image/svg+xml" }), name);
  else download(await Chart.toPNG(text, 2), name);
}

function addExportButtons() {
  for (const fig of document.querySelectorAll("figure.chart-card")) {
    const box = document.createElement("span");
    box.className = "export";
    for (const fmt of ["svg", "png"]) {
      const b = document.createElement("button");
      b.type = "button";
      b.dataset.fmt = fmt;
      b.textContent = fmt.toUpperCase();
      b.title = t("Download this chart as {fmt}", { fmt: fmt.toUpperCase() });
      b.addEventListener("click", () => exportChart(fig, fmt));
      box.appendChild(b);
    }
    fig.querySelector("figcaption").appendChild(box);
  }
}

/* ------------------------------------------------------------------ tabs */
function showTab(name) {
  const was = currentTab();
  for (const tab of document.querySelectorAll("[role=tab]")) {
    const t = tab.id.replace(/^tab-/, "");
    tab.setAttribute("aria-selected", String(t === name));
    $(`#view-${t}`).hidden = t !== name;
  }
  if (was !== name && TAB_HOOKS[was] && TAB_HOOKS[was].hide) TAB_HOOKS[was].hide();
  if (TAB_HOOKS[name]) TAB_HOOKS[name].show();
  else if (name === "neuron") drawNeuron(); else if (name === "network") drawNetwork(); else drawLayers();
  saveState();
}
$("#tab-neuron").addEventListener("click", () => showTab("neuron"));
$("#tab-network").addEventListener("click", () => showTab("network"));
$("#tab-layers").addEventListener("click", () => showTab("layers"));

/* ------------------------------------------------------------------ one neuron */
const FIELDS = ["w", "b", "a0", "x", "y", "eta", "epochs"];
const neuron = { data: null, epoch: null, pendingEpoch: null, startBy: "b", seq: 0, abort: null, timer: null, playing: null };

function setField(name, value) {
  const v = String(+(+value).toPrecision(6));
  $(`#${name}`).value = v;
  $(`#${name}-range`).value = v;
}

function costsShown() {
  const own = $("#own-cost").value.trim();   // a cost spec or a formula in a and y, checked by the server
  return [...["quadratic", "cross-entropy"].filter((c) => $(`#show-${c}`).checked),
    ...($("#show-own").checked && own ? [own] : [])];
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
    status.textContent = t("Choose at least one cost.");
    status.className = "status error";
    return;
  }
  if (neuron.abort) neuron.abort.abort();
  const abort = neuron.abort = new AbortController();
  const seq = ++neuron.seq;
  status.textContent = t("computing…");
  status.className = "status busy";
  try {
    const r = await ask("/api/neuron?" + neuronQuery(), { signal: abort.signal });
    const j = await r.json();
    if (seq !== neuron.seq) return;
    if (!r.ok) {
      status.textContent = j.error ? t(j.error) : t("error {status}", { status: r.status });
      status.className = "status error";
      return;
    }
    const wasAtEnd = neuron.data === null || neuron.epoch === null || neuron.epoch >= neuron.data.params.epochs;
    neuron.data = j;
    // the API answers with the start in both forms: keep the other control in step
    if (neuron.startBy === "a0") setField("b", j.params.b); else setField("a0", j.a0);
    neuron.epoch = wasAtEnd ? j.params.epochs : Math.min(neuron.epoch, j.params.epochs);
    if (neuron.pendingEpoch !== null) { neuron.epoch = Math.min(neuron.pendingEpoch, j.params.epochs); neuron.pendingEpoch = null; }
    const slider = $("#epoch");
    slider.max = j.params.epochs;
    slider.value = neuron.epoch;
    status.textContent = t("computed in {ms} ms by costlab's engine", { ms: j.elapsed_ms.toFixed(0) });
    status.className = "status ok";
    document.body.dataset.neuronSeq = String(seq);
    drawNeuron();
    saveState();
  } catch (e) {
    if (e.name === "AbortError") return;
    status.textContent = t("The server did not answer: {why}", { why: e.message });
    status.className = "status error";
  }
}

function legend(id, items) {
  const box = document.querySelector(`.legend[data-for="${id}"]`);
  box.innerHTML = "";
  for (const it of items) {
    const s = document.createElement("span");
    s.className = "key" + (it.dash ? " dashed" : "") + (it.dot ? " dotted" : "");
    s.style.setProperty("--c", it.color);
    s.textContent = it.label;
    box.appendChild(s);
  }
}

/* Give every element marked data-cost its cost's colour (--c), through the CSSOM (the page's CSP allows no inline style). */
function paintCosts(box) {
  for (const el of box.querySelectorAll("[data-cost]")) el.style.setProperty("--c", color(el.dataset.cost));
}

function fixed(v, n) { return v === null || v === undefined ? "–" : (+v).toFixed(n); }
/* A number in three figures; a cost that is not finite (null in the JSON) as infinity. */
function sig(v) {
  if (v === null || v === undefined) return "\u221e";
  return Math.abs(v) >= 0.001 || v === 0 ? (+v).toPrecision(3) : (+v).toExponential(2);
}

function drawResults(d) {
  const box = $("#results");
  box.innerHTML = "";
  const E = d.params.epochs;
  for (const [cost, run] of Object.entries(d.runs)) {
    const a = run.a[E], C = run.C[E];
    const card = document.createElement("div");
    card.className = "result card";
    card.id = `final-${cost}`;
    card.style.setProperty("--c", color(cost));
    const first = run.first_below_half;
    card.innerHTML =
      `<div class="result-head">${t("{cost} cost", { cost: costName(cost) })}</div>` +
      `<div class="big"><span class="label">a(${E}) =</span> <span class="final-a">${fixed(a, 4)}</span></div>` +
      `<div class="small">${t("from")} a(0) = ${fixed(run.a[0], 4)}${t("; ")}C(${E}) = <span class="final-C">${sig(C)}</span></div>` +
      `<div class="small">${t("first a &lt; 0.5:")} <strong class="first">${first === null ? t("never") : t("epoch {e}", { e: first })}</strong></div>`;
    box.appendChild(card);
  }
}

function drawReadout(d, e) {
  const parts = [];
  for (const [cost, run] of Object.entries(d.runs)) {
    const kv = (k, v) => `<span class="kv">${k} = ${v}</span>`;
    parts.push(`<span class="ro" data-cost="${cost}"><b>${costName(cost)}</b> ` + [kv("a", fixed(run.a[e], 4)), kv("z", fixed(run.z[e], 3)),
      kv("&sigma;′(z)", sig(run.slope[e])), kv("|∂C/∂b|", sig(Math.abs(run.dC_db[e])))].join(", ") + "</span>");
  }
  $("#readout").innerHTML = parts.join("");
  paintCosts($("#readout"));
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
  if (runs.length) {  // the picture of the neuron (neuronpic.js), shared with the playground
    const [c0, r0] = runs[0];
    NeuronPicture.draw($("#neuron-pic"), { inputs: [{ label: "x", value: d.params.x }], w: [r0.w[e]], b: r0.b[e],
      z: r0.z[e], act: "sigmoid", a: r0.a[e], y, C: r0.C[e], cost: costName(c0) });
  }

  // the legend names both grey lines as they are drawn: the target dashed, a = 0.5 (the table's threshold) dotted
  legend("chart-output", [...runs.map(([c]) => ({ label: costName(c), color: color(c) })),
    { label: t("target y = {y}", { y }), color: "#868e96", dash: true },
    { label: t("a = 0.5"), color: "#adb5bd", dot: true }]);
  Chart.draw($("#chart-output"), {
    x: epochs, y: [0, 1], xint: true, xlabel: t("epoch"), ylabel: t("output a"),
    hlines: [{ y, label: "" }, { y: 0.5, label: "", cls: "dotted" }],
    series: runs.map(([c, r]) => ({ name: c, color: color(c), x: r.epoch, y: r.a })),
    points: runs.map(([c, r]) => ({ name: c, x: e, y: r.a[e], color: color(c), r: 4.5 })),
    vline: e,
  });

  legend("chart-cost", runs.map(([c, r]) => ({ label: `${costName(c)}, C(0) = ${sig(r.C[0])}`, color: color(c) })));
  const rel = runs.map(([c, r]) => [c, r, r.C.map((v) => (r.C[0] > 0 && v !== null ? v / r.C[0] : null))]);
  const relMax = Math.max(1, ...rel.map(([, , v]) => Math.max(...v)));
  Chart.draw($("#chart-cost"), {
    x: epochs, y: [0, relMax * 1.02], xint: true, xlabel: t("epoch"), ylabel: "C / C(0)",
    series: rel.map(([c, r, v]) => ({ name: c, color: color(c), x: r.epoch, y: v })),
    points: rel.map(([c, , v]) => ({ name: c, x: e, y: v[e], color: color(c), r: 4.5 })),
    vline: e,
  });

  const s = d.sigmoid;
  const zlo = s.z[0], zhi = s.z[s.z.length - 1];
  const segs = [], pts = [{ name: "start", x: d.z0, y: d.a0, color: "#495057", r: 5, hollow: true }];
  const span = (zhi - zlo) / 14;
  for (const [c, r] of runs) {
    const z = r.z[e], a = r.a[e], k = r.slope[e];
    segs.push({ x1: z - span, y1: a - k * span, x2: z + span, y2: a + k * span, color: color(c), width: 3 });
    pts.push({ name: c, x: z, y: a, color: color(c), r: 6 });
  }
  legend("chart-sigmoid", [{ label: "σ(z)", color: PALETTE.ink }, { label: t("start"), color: PALETTE.muted, dash: true },
    ...runs.map(([c]) => ({ label: t("{cost} at epoch {e}, with tangent", { cost: costName(c), e }), color: color(c) }))]);
  Chart.draw($("#chart-sigmoid"), {
    x: [zlo, zhi], y: [-0.04, 1.04], xlabel: t("weighted input z = w x + b"), ylabel: "a = σ(z)",
    series: [{ name: "sigmoid", color: PALETTE.ink, x: s.z, y: s.a, width: 2 }],
    segments: segs, points: pts, hlines: [{ y, label: "" }],
  });

  legend("chart-grad", runs.map(([c]) => ({ label: costName(c), color: color(c) })));
  const g = runs.map(([c, r]) => [c, r, r.dC_db.map(Math.abs)]);
  const gpos = g.flatMap(([, , v]) => v.filter((x) => x > 0));
  const gmax = gpos.length ? Math.max(...gpos) : 1, gmin = gpos.length ? Math.min(...gpos) : 1e-3;
  const hi = Math.pow(10, Math.ceil(Math.log10(gmax) + 0.01));
  const lo = Math.max(Math.pow(10, Math.floor(Math.log10(gmin))), hi * 1e-8);
  Chart.draw($("#chart-grad"), {
    x: epochs, y: [lo, hi], ylog: true, xint: true, xlabel: t("epoch"), ylabel: "|∂C/∂b|",
    series: g.map(([c, r, v]) => ({ name: c, color: color(c), x: r.epoch, y: v })),
    points: g.map(([c, , v]) => ({ name: c, x: e, y: Math.max(v[e], lo), color: color(c), r: 4.5 })),
    vline: e,
  });
  drawLogit();
}

/* One output's z on a slider: C and |dC/dz| under both costs, and their ratio 1/sigma'(z). */
function drawLogit() {
  const d = neuron.data;
  if (!d || !d.logit || $("#view-neuron").hidden) return;
  const L = d.logit, costs = ["quadratic", "cross-entropy"];
  const z = Math.min(10, Math.max(-10, +$("#logit-z").value || 0));
  const i = Math.round((z - L.z[0]) / (L.z[1] - L.z[0]));
  const zi = L.z[i], slope = L.slope[i];
  const ratio = L["cross-entropy"].dC_dz[i] / L.quadratic.dC_dz[i];
  const row = (label, cells, cls) => `<tr${cls || ""}><td>${label}</td>${cells.map((c) => `<td>${c}</td>`).join("")}</tr>`;
  $("#logit-table").innerHTML =
    `<thead><tr><th>z = ${zi.toFixed(2)}, a = ${sig(1 / (1 + Math.exp(-zi)))}, y = ${d.params.y}</th><th>C</th><th>|∂C/∂z|</th></tr></thead><tbody>` +
    costs.map((c) => row(`<span class="c" data-cost="${c}">${costName(c)}</span>`,
      [sig(L[c].C[i]), sig(L[c].dC_dz[i])])).join("") +
    row(t("ratio, cross-entropy / quadratic"), ["", `<strong id="logit-ratio">${sig(ratio)}</strong>`]) +
    row("1/σ′(z)", ["", `<strong id="logit-inverse-slope">${sig(1 / slope)}</strong>`]) + "</tbody>";
  paintCosts($("#logit-table"));
  const keys = costs.map((c) => ({ label: costName(c), color: color(c) }));
  legend("chart-logit-cost", keys);
  const cmax = Math.max(...costs.flatMap((c) => L[c].C));
  Chart.draw($("#chart-logit-cost"), {
    x: [L.z[0], L.z[L.z.length - 1]], y: [0, cmax * 1.04], xlabel: "z", ylabel: "C",
    series: costs.map((c) => ({ name: c, color: color(c), x: L.z, y: L[c].C })),
    points: costs.map((c) => ({ name: c, x: zi, y: L[c].C[i], color: color(c), r: 4.5 })), vline: zi,
  });
  legend("chart-logit-grad", [...keys, { label: t("ratio") + " = 1/σ′(z)", color: PALETTE.ink, dash: true }]);
  const inv = L.slope.map((v) => 1 / v);
  const all = [...costs.flatMap((c) => L[c].dC_dz), ...inv].filter((v) => v > 0);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...all)))), hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...all))));
  Chart.draw($("#chart-logit-grad"), {
    x: [L.z[0], L.z[L.z.length - 1]], y: [lo, hi], ylog: true, xlabel: "z", ylabel: "|∂C/∂z|",
    series: [...costs.map((c) => ({ name: c, color: color(c), x: L.z, y: L[c].dC_dz })),
      { name: "ratio", color: PALETTE.ink, x: L.z, y: inv, dash: "6 4", width: 1.8 }],
    points: [...costs.map((c) => ({ name: c, x: zi, y: Math.max(L[c].dC_dz[i], lo), color: color(c), r: 4.5 })),
      { name: "ratio", x: zi, y: inv[i], color: PALETTE.ink, r: 4 }], vline: zi,
  });
}

function setEpoch(e) {
  if (!neuron.data) return;
  neuron.epoch = Math.round(Math.min(Math.max(e, 0), neuron.data.params.epochs));
  $("#epoch").value = neuron.epoch;
  drawNeuron();
  saveState();
}

function stopPlaying() {
  if (neuron.playing) cancelAnimationFrame(neuron.playing);
  neuron.playing = null;
  $("#play").innerHTML = "&#9654;";
  $("#play").setAttribute("aria-label", t("play the training"));
}

function play() {
  if (neuron.playing) { stopPlaying(); return; }
  if (!neuron.data) return;
  const E = neuron.data.params.epochs;
  if (neuron.epoch >= E) setEpoch(0);
  $("#play").innerHTML = "&#10073;&#10073;";
  $("#play").setAttribute("aria-label", t("pause"));
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
  for (const c of ["quadratic", "cross-entropy", "own"]) $(`#show-${c}`).addEventListener("change", scheduleNeuron);
  $("#own-cost").addEventListener("input", () => { if ($("#show-own").checked) scheduleNeuron(); });
  const zbox = $("#logit-z"), zrange = $("#logit-z-range");
  const zchanged = (v, source) => {
    if (source !== zbox) zbox.value = v;
    if (source !== zrange) zrange.value = v;
    drawLogit();
    saveState();
  };
  zrange.addEventListener("input", () => zchanged(zrange.value, zrange));
  zbox.addEventListener("input", () => { if (zbox.value !== "") zchanged(zbox.value, zbox); });
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
    const r = await ask("/api/presets");
    const j = await r.json();
    PALETTE = j.palette;
    ZH = j.messages.zh;
    document.documentElement.style.setProperty("--quad", color("quadratic"));
    document.documentElement.style.setProperty("--ce", color("cross-entropy"));
    for (const p of j.presets) {
      const b = document.createElement("button");
      b.className = "preset";
      b.dataset.preset = p.name;
      b.presetLabel = () => `${t("blog post: a0 = {a0}", { a0: p.a0.toFixed(2) })}<small>w = ${p.w}, b = ${p.b}, η = ${p.eta}, ${t("{n} epochs", { n: p.epochs })}</small>`;
      b.innerHTML = b.presetLabel();
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
    box.textContent = t("presets unavailable: {why}", { why: e.message });
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

/* A status line: message is [English text, fields], kept so a change of language redraws it. */
function statusText(msg) { return typeof msg === "string" ? msg : t(msg[0], msg[1]); }

function setTraining(running, message, kind) {
  net.running = running;
  net.status = message;
  net.statusKind = kind;
  $("#train-start").disabled = running;
  $("#train-stop").disabled = !running;
  const st = $("#train-status");
  st.textContent = statusText(message);
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
    net.token = data.token; // only this page holds it: the server stops a training for its token alone
    net.costs = data.params.costs;
    net.epochs = data.params.epochs;
    net.series = Object.fromEntries(net.costs.map((c) => [c, { epoch: [], test: [], train: [], cost: [] }]));
    setTraining(true, ["training…"], "busy");
  } else if (event === "epoch") {
    for (const [c, r] of Object.entries(data.runs)) {
      const s = net.series[c];
      s.epoch.push(data.epoch);
      s.test.push(r.eval_accuracy * 100);
      s.train.push(r.train_accuracy * 100);
      s.cost.push(r.eval_cost);
    }
    setTraining(true, ["epoch {e} of {n} ({s} s)", { e: data.epoch, n: net.epochs, s: data.elapsed_s.toFixed(1) }], "busy");
    document.body.dataset.trainEpoch = String(data.epoch);
    drawNetwork();
  } else if (event === "done") {
    setTraining(false, ["done: {n} epochs in {s} s", { n: data.epochs, s: data.elapsed_s.toFixed(1) }], "ok");
  } else if (event === "stopped") {
    document.body.dataset.stoppedBy = "server";  // the server's own event: the stop and its token were accepted
    setTraining(false, data.reason && t(data.reason) !== t("stopped") ? ["stopped ({reason})", { reason: t(data.reason) }] : ["stopped"], "");
  } else if (event === "error") {
    setTraining(false, data.error, "error");
  }
}

async function startTraining() {
  if (net.running) return;
  $("#hidden-echo").textContent = $("#hidden").value;
  const abort = net.abort = new AbortController();
  setTraining(true, ["starting…"], "busy");
  await streamJob("/api/train?" + trainQuery(), net, abort, setTraining, handleTrainEvent);
}

/* A training's server-sent events: each one to onEvent, the stream's end or failure to setState.
 * ``init``: more of fetch's options (a POST with its body). */
async function streamJob(url, job, abort, setState, onEvent, init) {
  try {
    const r = await ask(url, { ...(init || {}), signal: abort.signal });
    if (!r.ok) {
      const j = await r.json();
      setState(false, j.error ? t(j.error) : ["error {status}", { status: r.status }], "error");
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
        onEvent(parseEvent(buffer.slice(0, i)));
        buffer = buffer.slice(i + 2);
      }
    }
    if (job.running) setState(false, ["the stream ended"], "");
  } catch (e) {
    if (e.name === "AbortError") { document.body.dataset.stoppedBy = "page"; setState(false, ["stopped"], ""); }
    else setState(false, ["The server did not answer: {why}", { why: e.message }], "error");
  }
}

/* Stop a training by its token (only this page holds it); closing the stream stops the server's worker too. */
async function stopJob(job) {
  if (job.id) {
    try {
      await ask(`/api/train/${job.id}/stop`, { method: "POST", headers: { "X-Costlab-Token": job.token } });
    } catch (e) { /* closing is enough */ }
  }
  setTimeout(() => { if (job.running && job.abort) job.abort.abort(); }, 1500);
}

function stopTraining() { return stopJob(net); }

function drawNetwork() {
  if ($("#view-network").hidden) return;
  const costs = net.costs.length ? net.costs : [$("#cost-a").value, $("#cost-b").value];
  const E = Math.max(net.epochs, 1);
  legend("chart-acc", costs.map((c) => ({ label: costName(c), color: color(c) })));
  const series = [];
  for (const c of costs) {
    const s = net.series[c];
    if (!s) continue;
    series.push({ name: `${c} test`, color: color(c), x: s.epoch, y: s.test });
    series.push({ name: `${c} training`, color: color(c), x: s.epoch, y: s.train, dash: "6 4", width: 1.6 });
  }
  Chart.draw($("#chart-acc"), {
    x: [0, E], y: [0, 100], xint: true, xlabel: t("epoch"), ylabel: t("accuracy (%)"), series,
    yformat: (v) => v + "%",
  });
  legend("chart-netcost", costs.map((c) => ({ label: costName(c), color: color(c) })));
  const cseries = costs.filter((c) => net.series[c]).map((c) => ({ name: c, color: color(c), x: net.series[c].epoch, y: net.series[c].cost }));
  const cvals = cseries.flatMap((s) => s.y.filter((v) => v !== null && isFinite(v) && v > 0));
  const chi = Math.pow(10, Math.ceil(Math.log10(Math.max(1, ...cvals)) + 0.01));
  const clo = Math.pow(10, Math.floor(Math.log10(Math.min(chi / 10, ...cvals))));
  Chart.draw($("#chart-netcost"), { x: [0, E], y: [clo, chi], ylog: true, xint: true, xlabel: t("epoch"), ylabel: t("test cost C"), series: cseries });

  const box = $("#net-results");
  box.innerHTML = "";
  for (const c of costs) {
    const s = net.series[c];
    const card = document.createElement("div");
    card.className = "result card";
    card.id = `net-${c}`;
    card.style.setProperty("--c", color(c));
    const n = s ? s.epoch.length : 0;
    const last = n ? s.test[n - 1] : null;
    const best = n ? Math.max(...s.test) : null;
    card.innerHTML = `<div class="result-head">${costName(c)}</div>` +
      `<div class="big"><span class="label">${t("test accuracy")}</span> <span class="acc">${last === null ? "–" : last.toFixed(1) + "%"}</span></div>` +
      `<div class="small">${t("epoch {e}", { e: n ? s.epoch[n - 1] : "–" })}${t("; ")}${t("best")} ${best === null ? "–" : best.toFixed(1) + "%"}</div>`;
    box.appendChild(card);
  }
}

/* ------------------------------------------------------------------ inside the network */
/* The colour of layer l of L (costlab.palette.layer_color): the same in the report's figure. */
function layerColor(l, L) {
  const c = PALETTE.layers || ["#440154"];
  return c[Math.round(l * (c.length - 1) / Math.max(L - 1, 1))];
}
const lay = { running: false, id: null, abort: null, params: null, series: {} };

function checked(name) { return [...document.querySelectorAll(`input[name=${name}]:checked`)].map((e) => e.value); }

function setLayers(running, message, kind) {
  lay.running = running;
  lay.status = message;
  lay.statusKind = kind;
  $("#lay-start").disabled = running;
  $("#lay-stop").disabled = !running;
  $("#lay-status").textContent = statusText(message);
  $("#lay-status").className = "status " + (kind || "");
  document.body.dataset.layers = running ? "running" : "idle";
}

function handleLayersEvent({ event, data }) {
  if (event === "start") {
    lay.id = data.id;
    lay.token = data.token; // only this page holds it
    lay.params = data.params;
    lay.series = {};
    setLayers(true, ["training…"], "busy");
  } else if (event === "epoch") {
    for (const [cost, r] of Object.entries(data.runs)) {
      const key = `${cost}, ${data.activation}`;
      const s = lay.series[key] || (lay.series[key] = { cost, activation: data.activation, epoch: [], speed: [] });
      s.epoch.push(data.epoch);
      s.speed.push(r.speed);
    }
    setLayers(true, ["{activation}: epoch {e} of {n} ({s} s)",
      { activation: actName(data.activation), e: data.epoch, n: lay.params.epochs, s: data.elapsed_s.toFixed(1) }], "busy");
    document.body.dataset.layersEpoch = `${data.activation} ${data.epoch}`;
    drawLayers();
  } else if (event === "done") {
    setLayers(false, ["done in {s} s", { s: data.elapsed_s.toFixed(1) }], "ok");
  } else if (event === "stopped") {
    document.body.dataset.stoppedBy = "server";  // the server's own event: the stop and its token were accepted
    setLayers(false, data.reason && t(data.reason) !== t("stopped") ? ["stopped ({reason})", { reason: t(data.reason) }] : ["stopped"], "");
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
  setLayers(true, ["starting…"], "busy");
  await streamJob("/api/layers?" + q, lay, abort, setLayers, handleLayersEvent);
}

function stopLayers() { return stopJob(lay); }

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
      fig.innerHTML = `<figcaption><span class="title"></span> <span class="legend" data-for="${id}-svg"></span></figcaption>` +
        `<svg id="${id}-svg" class="chart" role="img"></svg>`;
      box.appendChild(fig);
    }
    const s = lay.series[key];
    const what = { cost: costName(s.cost), activation: actName(s.activation) };
    fig.querySelector(".title").textContent = t("Speed of learning ‖∇b‖ of each layer: {cost} cost, {activation} (log scale)", what);
    fig.querySelector("svg").setAttribute("aria-label", t("speed of learning of each layer, {cost} cost, {activation}", what));
    const L = s.speed[0].length;
    const names = [...Array(L).keys()].map((l) => (l === L - 1 ? t("output") : t("hidden {l}", { l: l + 1 })));
    legend(`${id}-svg`, names.map((n, l) => ({ label: n, color: layerColor(l, L) })));
    const series = names.map((n, l) => ({
      name: l === L - 1 ? "output" : `hidden ${l + 1}`, color: layerColor(l, L), x: s.epoch,
      y: s.speed.map((row) => (row[l] > 0 ? row[l] : null)),
    }));
    Chart.draw($(`#${id}-svg`), { x: [0, E], y: [lo, hi], ylog: true, xint: true, xlabel: t("epoch"), ylabel: "‖∇b‖", series });
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
for (const id of ["cost-a", "cost-b", "init", "hidden", "net-eta", "net-epochs", "batch", "seed", "pace"]) $(`#${id}`).addEventListener("change", saveState);
$("#lang").addEventListener("click", () => setLang(LANG === "zh" ? "en" : "zh"));
$("#copy-link").addEventListener("click", copyLink);
addExportButtons();
let resizeTimer = null;
new ResizeObserver(() => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => { drawNeuron(); drawNetwork(); drawLayers(); }, 50);
}).observe(document.body);
const restored = restoreState();
if (restored.tab === "network") showTab("network");
loadPresets().then(() => { if (restored.lang === "zh") setLang("zh"); updateNeuron(); });
