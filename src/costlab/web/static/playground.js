/* costlab serve: the playground tab. A network learns 2-D points on the server (POST /api/playground,
 * costlab's Network.fit); each epoch streams in, and this file draws it: the decision boundary as a heat
 * map from the server's 64 x 64 grid, each neuron's output as a thumbnail in a drawing of the network,
 * the curves, the layers' records and the picture of the output neuron. Its state lives in the URL.
 * Uses app.js (t, $, streamJob, parseEvent, Chart via charts.js, TAB_HOOKS) and the vendored d3 colour maps. */
"use strict";

(() => {
  const FEATURES = [["x1", "x1"], ["x2", "x2"], ["x1sq", "x1²"], ["x2sq", "x2²"], ["x1x2", "x1·x2"],
    ["sinx1", "sin x1"], ["sinx2", "sin x2"]];
  const ACTS = ["tanh", "sigmoid", "relu", "identity"];
  const MAX_LAYERS = 6, MAX_NEURONS = 8, MIN_POINTS = 4;
  const FIELDS = { data: "#pg-data", n: "#pg-n", noise: "#pg-noise", ratio: "#pg-ratio", seed: "#pg-seed",
    output: "#pg-output", cost: "#pg-cost", init: "#pg-init", eta: "#pg-eta", batch: "#pg-batch", l2: "#pg-l2",
    momentum: "#pg-momentum", epochs: "#pg-epochs", pace: "#pg-pace" };
  const POS = "#1c7ed6", NEG = "#e8590c";  // weight signs, as the legend says

  const pg = {
    layers: [{ n: 4, act: "tanh" }, { n: 2, act: "tanh" }], features: ["x1", "x2"], points: [], csv: null,
    gen: 0, id: null, token: null, abort: null, running: false, playing: false, ended: true,
    data: null, latest: null, drawn: null, series: null, warnings: [], frame: 0, restartTimer: null,
    shown: false, updates: 0, frames: 0, lut: null, heat: null, thumbs: [], edges: [], outThumb: null,
  };

  /* ------------------------------------------------------------ words */
  function actLabel(a) { return { tanh: "tanh", sigmoid: t("sigmoid"), relu: "ReLU", identity: t("identity") }[a] || a; }
  /* The status line: a text, or a function that words it in the page's language (said again when it changes). */
  function say(message, kind) {
    pg.status = [message, kind];
    const st = $("#pg-status");
    st.textContent = typeof message === "function" ? message() : message;
    st.className = "status " + (kind || "");
  }

  /* ------------------------------------------------------------ colours (d3-scale-chromatic) */
  function lut() {
    if (pg.lut) return pg.lut;
    const table = new Uint8ClampedArray(256 * 4);
    for (let i = 0; i < 256; i++) {
      // class 0 (output 0) red, class 1 (output 1) blue, lightened for the points to stand out
      const c = d3.rgb(d3.interpolateRdBu(0.08 + 0.84 * (i / 255)));
      table[4 * i] = c.r + (255 - c.r) * 0.25;
      table[4 * i + 1] = c.g + (255 - c.g) * 0.25;
      table[4 * i + 2] = c.b + (255 - c.b) * 0.25;
      table[4 * i + 3] = 255;
    }
    pg.lut = table;
    return table;
  }
  const CLASS_COLORS = [];
  const classColor = (label) => CLASS_COLORS[label] || (CLASS_COLORS[label] = d3.interpolateRdBu(label ? 0.97 : 0.03));

  function bytes(b64) {
    const s = atob(b64);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }

  /* Paint cells x cells bytes into a canvas of that size through the colour table. */
  function paint(canvas, values, cells) {
    if (canvas.width !== cells) { canvas.width = cells; canvas.height = cells; }
    const ctx = canvas.getContext("2d");
    const img = ctx.createImageData(cells, cells);
    const table = lut(), px = img.data;
    for (let i = 0; i < values.length; i++) {
      const k = values[i] * 4, j = i * 4;
      px[j] = table[k]; px[j + 1] = table[k + 1]; px[j + 2] = table[k + 2]; px[j + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }

  /* ------------------------------------------------------------ settings and the URL */
  function settings() {
    const s = {};
    for (const [k, sel] of Object.entries(FIELDS)) s[k] = $(sel).value.trim();
    s.features = pg.features.join(",");
    s.hidden = pg.layers.map((l) => l.n).join(",");
    s.act = pg.layers.length ? pg.layers.map((l) => l.act).join(",") : "tanh";
    return s;
  }

  function query() {
    const q = new URLSearchParams(settings());
    if (pg.playing) q.set("autoplay", "1");
    return q;
  }

  function restore() {
    const q = new URLSearchParams(INITIAL_SEARCH);  // as opened: app.js may have written the link since
    if (q.get("tab") !== "playground") return false;
    for (const [k, sel] of Object.entries(FIELDS)) if (q.has(k)) $(sel).value = q.get(k);
    if (q.has("features")) pg.features = q.get("features").split(",").filter((f) => f);
    if (q.has("hidden")) {
      const sizes = q.get("hidden").split(",").filter((v) => v.trim() !== "");
      const acts = (q.get("act") || "tanh").split(",");
      pg.layers = sizes.slice(0, MAX_LAYERS).map((n, i) => ({ n: +n, act: acts[Math.min(i, acts.length - 1)] }));
      pg.rawHidden = q.get("hidden");  // sent as given: the server says what is wrong with it
      pg.rawAct = q.get("act");
    } else if (q.has("act")) {
      for (const l of pg.layers) l.act = q.get("act").split(",")[0];
    }
    pg.playing = q.get("autoplay") === "1";
    return true;
  }

  /* ------------------------------------------------------------ controls */
  function buildFeatures() {
    const box = $("#pg-features");
    for (const old of box.querySelectorAll("label")) old.remove();
    for (const [name, label] of FEATURES) {
      const l = document.createElement("label");
      l.className = "pg-check";
      l.innerHTML = `<input type="checkbox" value="${name}"> ${label}`;
      const box1 = l.querySelector("input");
      box1.checked = pg.features.includes(name);
      box1.addEventListener("change", () => {
        pg.features = FEATURES.map(([n]) => n).filter((n) => box.querySelector(`input[value=${n}]`).checked);
        changed();
      });
      box.appendChild(l);
    }
  }

  function buildLayers() {
    const rows = $("#pg-layer-rows");
    rows.innerHTML = "";
    $("#pg-layer-count").textContent = String(pg.layers.length);
    pg.layers.forEach((layer, i) => {
      const row = document.createElement("div");
      row.className = "pg-layer-row";
      row.innerHTML = `<span class="pg-layer-name">${t("layer {l}", { l: i + 1 })}</span>` +
        `<button type="button" class="pg-small" data-do="less" aria-label="${t("fewer neurons")}">&minus;</button>` +
        `<output>${layer.n}</output><button type="button" class="pg-small" data-do="more" aria-label="${t("more neurons")}">+</button>` +
        `<span class="pg-layer-unit">${t("neurons")}</span><select aria-label="${t("activation")}">` +
        ACTS.map((a) => `<option value="${a}"${a === layer.act ? " selected" : ""}>${actLabel(a)}</option>`).join("") +
        "</select>";
      row.querySelector('[data-do="less"]').addEventListener("click", () => { if (layer.n > 1) { layer.n--; structure(); } });
      row.querySelector('[data-do="more"]').addEventListener("click", () => { if (layer.n < MAX_NEURONS) { layer.n++; structure(); } });
      row.querySelector("select").addEventListener("change", (e) => { layer.act = e.target.value; structure(); });
      rows.appendChild(row);
    });
  }

  function structure() {
    pg.rawHidden = pg.rawAct = undefined;
    buildLayers();
    changed();
  }

  function showDataBoxes() {
    const data = $("#pg-data").value;
    $("#pg-points-box").hidden = data !== "points";
    $("#pg-csv-box").hidden = data !== "csv";
    for (const id of ["#pg-n", "#pg-noise"]) $(id).closest(".control").hidden = data === "points" || data === "csv";
  }

  /* Any change of a setting: a new run from the new settings (paused or playing as before). */
  function changed() {
    saveState();
    clearTimeout(pg.restartTimer);
    pg.restartTimer = setTimeout(start, 250);
  }

  /* ------------------------------------------------------------ the run */
  function pointsCSV() {
    return "x1,x2,label\n" + pg.points.map((p) => `${p[0].toFixed(3)},${p[1].toFixed(3)},${p[2]}`).join("\n");
  }

  /* streamJob's own words, in the page's language */
  function streamWords(message) {
    return { "the stream ended": t("the stream ended"), stopped: t("stopped") }[message] || message;
  }

  function setState(gen) {
    return (running, message, kind) => {
      if (gen !== pg.gen) return;
      pg.running = running;
      if (!running) { pg.ended = true; pg.playing = false; playButton(); }
      say(() => streamWords(message), kind);
      document.body.dataset.pg = running ? "running" : "idle";
    };
  }

  async function stopRun() {
    const { id, token, abort, running } = pg;
    pg.gen++;
    pg.running = false;
    if (running && id) {
      try {
        await fetch(`/api/playground/${id}/control`, { method: "POST", headers: { "Content-Type": "application/json",
          "X-Costlab-Token": token }, body: JSON.stringify({ do: "stop" }) });
      } catch (e) { /* closing the stream stops it too */ }
    }
    if (abort) abort.abort();
    if (running) await new Promise((r) => setTimeout(r, 250));  // its worker ends and frees its place
  }

  async function start() {
    clearTimeout(pg.restartTimer);
    const s = settings();
    if (pg.rawHidden !== undefined) { s.hidden = pg.rawHidden; if (pg.rawAct !== null) s.act = pg.rawAct; }
    if (s.data === "points") {
      if (pg.points.length < MIN_POINTS) {
        await stopRun();
        pg.data = null; pg.latest = null;
        say(() => t("Click the plane to add at least {n} points of both classes.", { n: MIN_POINTS }), "");
        drawHeatOnly();
        return;
      }
      s.csv = pointsCSV();
    } else if (s.data === "csv") {
      if (!pg.csv) { say(() => t("Choose a CSV file of rows x1,x2,label."), ""); return; }
      s.csv = pg.csv;
    }
    s.autoplay = pg.playing ? "1" : "0";
    await stopRun();
    const gen = pg.gen;
    pg.series = { epoch: [], trainCost: [], testCost: [], trainAcc: [], testAcc: [] };
    pg.warnings = [];
    pg.latest = pg.drawn = pg.figures = pg.shownFigures = pg.curvesFor = null;
    pg.updates = pg.frames = 0;
    pg.ended = false;
    const abort = pg.abort = new AbortController();
    pg.running = true;
    say(() => t("starting…"), "busy");
    playButton();
    await streamJob("/api/playground", pg, abort, setState(gen), (ev) => { if (gen === pg.gen) onEvent(ev); },
      { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(s) });
  }

  function onEvent({ event, data }) {
    if (event === "start") {
      pg.id = data.id;
      pg.token = data.token;  // only this page holds it
      say(() => pg.playing ? t("training…") : t("paused"), pg.playing ? "busy" : "");
    } else if (event === "data") {
      pg.data = data;
      layoutNetwork();
    } else if (event === "update") {
      const s = pg.series;
      if (!data.again) {  // "again": the same epoch's pictures, sent again for another chosen point
        s.epoch.push(data.epoch);
        s.trainCost.push(data.train_cost);
        s.testCost.push(data.test_cost);
        s.trainAcc.push(data.train_accuracy);
        s.testAcc.push(data.test_accuracy);
      }
      for (const w of data.warnings) pg.warnings.push(w);
      pg.figures = data;
      if (data.boundary !== undefined) {  // an update with the pictures
        pg.latest = data;
        pg.updates++;
        document.body.dataset.pgUpdates = String(pg.updates);
      }
      if (!pg.frame) pg.frame = requestAnimationFrame(frame);
    } else if (event === "done") {
      pg.running = false;
      pg.ended = true;
      pg.playing = false;
      playButton();
      say(() => t("done: {epochs} epochs", { epochs: data.epochs }), "ok");
    } else if (event === "stopped") {
      pg.running = false;
      pg.ended = true;
      pg.playing = false;
      playButton();
      say(() => LANG === "en" ? `stopped (${data.reason})` : t("stopped"), "");
    } else if (event === "error") {
      pg.running = false;
      pg.ended = true;
      say(data.error, "error");
    }
  }

  async function control(action, extra) {
    if (!pg.running || !pg.id) return false;
    try {
      const r = await fetch(`/api/playground/${pg.id}/control`, { method: "POST",
        headers: { "Content-Type": "application/json", "X-Costlab-Token": pg.token },
        body: JSON.stringify({ do: action, ...(extra || {}) }) });
      return r.ok;
    } catch (e) {
      return false;
    }
  }

  async function play() {
    pg.playing = !pg.playing;
    playButton();
    saveState();
    if (pg.running && !pg.ended) {
      await control(pg.playing ? "play" : "pause");
      say(() => pg.playing ? t("training…") : t("paused"), pg.playing ? "busy" : "");
    } else if (pg.playing) {
      start();
    }
  }

  async function step() {
    if (pg.playing) { pg.playing = false; playButton(); saveState(); }
    if (pg.running && !pg.ended) { await control("step"); say(() => t("paused"), ""); } else start();
  }

  function playButton() {
    const b = $("#pg-play");
    b.innerHTML = pg.playing ? "&#10073;&#10073;" : "&#9654;";
    b.title = pg.playing ? t("Pause") : t("Play");
    b.classList.toggle("on", pg.playing);
  }

  /* ------------------------------------------------------------ drawing */
  /* One animation frame: the latest epoch's numbers, the curves (at most every CURVES_MS), and the
   * latest pictures if they are new. Updates that arrived in between are not drawn, only counted. */
  const CURVES_MS = 250;
  function frame(now) {
    pg.frame = 0;
    if ($("#view-playground").hidden) return;
    const f = pg.figures;
    if (f && f !== pg.shownFigures) {
      pg.shownFigures = f;
      document.body.dataset.pgEpoch = String(f.epoch);
      const fmt = (v) => (v === null || v === undefined ? "" : String(+v.toPrecision(6)));
      $("#pg-epoch").textContent = String(f.epoch);
      $("#pg-train-cost").textContent = fmt(f.train_cost);
      $("#pg-test-cost").textContent = fmt(f.test_cost);
      $("#pg-train-accuracy").textContent = fmt(f.train_accuracy);
      $("#pg-test-accuracy").textContent = fmt(f.test_accuracy);
    }
    if (f && f !== pg.curvesFor) {
      const t0 = now || performance.now();
      if (!pg.curvesAt || t0 - pg.curvesAt >= CURVES_MS) {
        pg.curvesAt = t0;
        pg.curvesFor = f;
        drawCurves();
        drawLayerTable(f);
        if (pg.latest && pg.data) drawProbe(pg.latest);
      } else if (!pg.frame) {
        pg.frame = requestAnimationFrame(frame);  // the curves catch up on a later frame
      }
    }
    const u = pg.latest;
    if (!u || u === pg.drawn) return;
    pg.drawn = u;
    pg.frames++;
    document.body.dataset.pgFrames = String(pg.frames);
    paint(pg.heat, bytes(u.boundary), pg.data.grid);
    drawHeat();
    drawNetworkState(u);
  }

  /* The heat map's canvas, sized to its box (measured again only after a resize: reading the layout
   * every frame would force the browser to lay the page out each time). */
  function heatCanvas() {
    const c = $("#pg-heat");
    if (!pg.heatSize) pg.heatSize = Math.max(200, Math.min(Math.floor(c.parentElement.getBoundingClientRect().width), 520));
    const size = pg.heatSize;
    const dpr = window.devicePixelRatio || 1;
    if (c.width !== Math.round(size * dpr)) {
      c.width = c.height = Math.round(size * dpr);
      c.style.width = c.style.height = size + "px";
    }
    return { c, ctx: c.getContext("2d"), size: c.width };
  }

  function extent() { return pg.data ? pg.data.extent : 6; }

  function drawPoints(ctx, size, scale) {
    const E = extent(), r = 3.2 * scale;
    const at = (p) => [(p[0] + E) / (2 * E) * size, (E - p[1]) / (2 * E) * size];
    ctx.lineWidth = 1 * scale;
    const sets = pg.data ? [[pg.data.train, pg.data.train_label, "#ffffff"], [pg.data.test, pg.data.test_label, "#212529"]]
      : [[pg.points.map((p) => [p[0], p[1]]), pg.points.map((p) => p[2]), "#ffffff"]];
    for (const [pts, labels, edge] of sets) {
      for (const label of [0, 1]) {  // one path per class and set: one fill, one stroke
        ctx.beginPath();
        for (let i = 0; i < pts.length; i++) {
          if (labels[i] !== label) continue;
          const [x, y] = at(pts[i]);
          ctx.moveTo(x + r, y);
          ctx.arc(x, y, r, 0, 2 * Math.PI);
        }
        ctx.fillStyle = classColor(label);
        ctx.fill();
        ctx.strokeStyle = edge;
        ctx.stroke();
      }
    }
    if (pg.latest && pg.latest.probe && pg.data) {
      const [x, y] = at(pg.latest.probe.point);
      ctx.beginPath();
      ctx.arc(x, y, r * 2.4, 0, 2 * Math.PI);
      ctx.strokeStyle = "#212529";
      ctx.lineWidth = 1.6 * scale;
      ctx.stroke();
    }
  }

  /* The boundary, then the points: drawn once into their own canvas (they do not move), copied each frame. */
  function drawHeat() {
    const { ctx, size } = heatCanvas();
    ctx.imageSmoothingEnabled = true;
    if (pg.latest) ctx.drawImage(pg.heat, 0, 0, size, size);
    else { ctx.fillStyle = "#f1f3f5"; ctx.fillRect(0, 0, size, size); }
    const key = `${size} ${pg.data ? pg.data.train.length + pg.data.test.length : "p" + pg.points.length} ${pg.latest ? pg.latest.probe.index : -1}`;
    if (!pg.dots || pg.dotsKey !== key || pg.dotsData !== pg.data) {
      pg.dots = pg.dots || document.createElement("canvas");
      pg.dots.width = pg.dots.height = size;
      const dctx = pg.dots.getContext("2d");
      dctx.clearRect(0, 0, size, size);
      drawPoints(dctx, size, size / 360);
      pg.dotsKey = key;
      pg.dotsData = pg.data;
    }
    ctx.drawImage(pg.dots, 0, 0);
  }

  function drawHeatOnly() { drawHeat(); }

  function layoutNetwork() {
    const box = $("#pg-net");
    box.innerHTML = "";
    pg.thumbs = [];
    pg.edges = [];
    if (!pg.data) return;
    const sizes = pg.data.sizes;
    const W = Math.max(box.clientWidth, 260);
    const node = W < 420 ? 30 : 42;
    const tallest = Math.max(...sizes.slice(0, -1), 1);
    const gap = node * 0.35;
    const H = tallest * (node + gap) + 20;
    box.style.height = H + "px";
    const cols = sizes.length;
    const xOf = (c) => node / 2 + 8 + c * ((W - node - 16) / Math.max(cols - 1, 1));
    const yOf = (c, j) => H / 2 + (j - (sizes[c] - 1) / 2) * (node + gap);
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("class", "pg-edges");
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    svg.setAttribute("width", W);
    svg.setAttribute("height", H);
    box.appendChild(svg);
    for (let l = 0; l < cols - 1; l++) {
      const layer = [];
      for (let j = 0; j < sizes[l + 1]; j++) {
        const row = [];
        if (l + 1 === cols - 1 && j < sizes[l + 1] - 1) { layer.push(row); continue; }  // softmax: class 1's neuron drawn
        for (let k = 0; k < sizes[l]; k++) {
          const line = document.createElementNS("http://www.w3.org/2000/svg", "line");
          line.setAttribute("x1", xOf(l)); line.setAttribute("y1", yOf(l, k));
          line.setAttribute("x2", xOf(l + 1)); line.setAttribute("y2", l + 1 === cols - 1 ? H / 2 : yOf(l + 1, j));
          line.setAttribute("stroke", "#ced4da");
          svg.appendChild(line);
          row.push(line);
        }
        layer.push(row);
      }
      pg.edges.push(layer);
    }
    const labels = Object.fromEntries(FEATURES);
    pg.data.features.forEach((f, k) => {
      const d = document.createElement("div");
      d.className = "pg-node pg-input";
      d.textContent = labels[f];
      place(d, xOf(0), yOf(0, k), node);
      box.appendChild(d);
    });
    for (let l = 1; l < cols; l++) {
      const layer = [];
      for (let j = 0; j < sizes[l]; j++) {
        if (l === cols - 1 && j < sizes[l] - 1) continue;  // softmax: class 1's neuron stands for the output
        const c = document.createElement("canvas");
        c.className = "pg-node" + (l === cols - 1 ? " pg-out" : "");
        c.width = c.height = l === cols - 1 ? pg.data.grid : pg.data.thumb;
        place(c, xOf(l), l === cols - 1 ? H / 2 : yOf(l, j), node);
        c.title = l === cols - 1 ? t("output") : t("layer {l}", { l }) + ", " + t("neuron {j}", { j: j + 1 });
        box.appendChild(c);
        layer.push(c);
      }
      if (l < cols - 1) pg.thumbs.push(layer); else pg.outThumb = layer[0];
    }
    pg.drawn = pg.shownFigures = pg.curvesFor = null;
  }

  function place(el, x, y, size) {
    el.style.left = (x - size / 2) + "px";
    el.style.top = (y - size / 2) + "px";
    el.style.width = el.style.height = size + "px";
  }

  function drawNetworkState(u) {
    u.neurons.forEach((layer, l) => layer.forEach((n, j) => {
      if (pg.thumbs[l] && pg.thumbs[l][j]) paint(pg.thumbs[l][j], bytes(n.b64), pg.data.thumb);
    }));
    if (pg.outThumb) pg.outThumb.getContext("2d").drawImage(pg.heat, 0, 0);
    u.weights.forEach((w, l) => w.forEach((row, j) => row.forEach((v, k) => {
      const line = pg.edges[l] && pg.edges[l][j] && pg.edges[l][j][k];
      if (!line) return;
      line.setAttribute("stroke", v >= 0 ? POS : NEG);
      line.setAttribute("stroke-width", Math.min(0.4 + Math.abs(v) * 1.1, 7).toFixed(2));
      line.setAttribute("stroke-opacity", Math.min(0.25 + Math.abs(v) * 0.4, 0.9).toFixed(2));
    })));
  }

  /* At most about 400 points of a series: the rest are every few epochs (the last one always). */
  function thin(xs, ys) {
    const n = xs.length, stride = Math.max(1, Math.ceil(n / 400));
    if (stride === 1) return [xs, ys];
    const x = [], y = [];
    for (let i = 0; i < n; i += stride) { x.push(xs[i]); y.push(ys[i]); }
    if ((n - 1) % stride) { x.push(xs[n - 1]); y.push(ys[n - 1]); }
    return [x, y];
  }

  function drawCurves() {
    const s = pg.series;
    if (!s || !s.epoch.length) return;
    const E = Math.max(10, s.epoch[s.epoch.length - 1]);
    const line = (name, ys, color, dash) => { const [x, y] = thin(s.epoch, ys); return { name, color, dash, x, y }; };
    const costs = [...s.trainCost, ...s.testCost].filter((v) => v !== null && isFinite(v));
    const top = Math.max(1e-3, ...costs) * 1.05;
    legend("pg-chart-cost", [{ label: t("training"), color: "#495057" }, { label: t("test"), color: "#1971c2", dash: true }]);
    Chart.draw($("#pg-chart-cost"), { x: [0, E], y: [0, top], xlabel: t("epoch"), ylabel: t("cost C"),
      series: [line("training", s.trainCost, "#495057"), line("test", s.testCost, "#1971c2", "6 4")] });
    legend("pg-chart-acc", [{ label: t("training"), color: "#495057" }, { label: t("test"), color: "#1971c2", dash: true }]);
    Chart.draw($("#pg-chart-acc"), { x: [0, E], y: [0, 1], xlabel: t("epoch"), ylabel: t("accuracy"),
      series: [line("training", s.trainAcc, "#495057"), line("test", s.testAcc, "#1971c2", "6 4")],
      hlines: [{ y: 0.5, label: "" }] });
  }

  function drawLayerTable(u) {
    const L = u.speed.length;
    const name = (l) => (l === L - 1 ? t("output") : t("layer {l}", { l: l + 1 }));
    const pct = (v) => (v === null || v === undefined ? "–" : Math.round(v * 100) + "%");
    let html = `<tr><th></th><th>${t("speed ||∇b||")}</th><th>${t("saturated")}</th><th>${t("dead")}</th></tr>`;
    for (let l = 0; l < L; l++) {
      const v = u.speed[l];
      html += `<tr><td>${name(l)}</td><td>${v === null ? "–" : (+v).toExponential(2)}</td>` +
        `<td>${pct(u.saturated[l])}</td><td>${pct(u.dead[l])}</td></tr>`;
    }
    $("#pg-layer-table").innerHTML = html;
    drawWarnings();
  }

  function warningText(w) {
    if (LANG === "en") return w.text;
    if (w.kind === "dead") return t("hidden layer {l} is dead from epoch {e}: no unit is positive on any point, so it no longer learns", { l: w.layer, e: w.epoch });
    if (w.kind === "saturated") return t("hidden layer {l} is saturated from epoch {e}: its neurons barely learn", { l: w.layer, e: w.epoch });
    if (w.kind === "slowed") return t("the output is saturated at the wrong value on {p}% of its outputs (epoch {e}): the learning slowdown; try the cross-entropy cost", { p: w.percent, e: w.epoch });
    return t("a layer has stopped learning");
  }

  function drawWarnings() {
    const box = $("#pg-warnings");
    box.innerHTML = "";
    for (const w of pg.warnings) {
      const li = document.createElement("li");
      li.textContent = warningText(w);
      box.appendChild(li);
    }
  }

  function drawProbe(u) {
    const p = u.probe;
    const hiddenLayers = pg.data.sizes.length - 2;
    const labels = Object.fromEntries(FEATURES);
    NeuronPicture.draw($("#pg-neuron-pic"), {
      inputs: p.inputs.map((v, k) => ({ label: hiddenLayers ? `a${k + 1}` : labels[pg.data.features[k]], value: v })),
      w: p.w, b: p.b, z: p.z, a: p.a, y: p.y, C: p.C, act: $("#pg-output").value, cost: costName($("#pg-cost").value),
    });
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

  function heatLegend() {
    const box = $("#pg-legend");
    box.innerHTML = "";
    for (const [label, c] of [[t("class 0"), classColor(0)], [t("class 1"), classColor(1)]]) {
      const s = document.createElement("span");
      s.className = "key dot";
      s.style.setProperty("--c", c);
      s.textContent = label;
      box.appendChild(s);
    }
    const note = document.createElement("span");
    note.textContent = t("white edge: training point; dark edge: test point");
    box.appendChild(note);
  }

  /* ------------------------------------------------------------ the plane: clicks, export */
  function planeAt(ev) {
    const r = $("#pg-heat").getBoundingClientRect(), E = extent();
    return [((ev.clientX - r.left) / r.width) * 2 * E - E, E - ((ev.clientY - r.top) / r.height) * 2 * E];
  }

  function onPlaneClick(ev) {
    const [x1, x2] = planeAt(ev);
    if ($("#pg-data").value === "points") {
      if (pg.points.length >= 500) { say(() => t("At most 500 points."), "error"); return; }
      const label = +document.querySelector("input[name=pg-class]:checked").value;
      pg.points.push([Math.round(x1 * 1000) / 1000, Math.round(x2 * 1000) / 1000, label]);
      pg.dotsKey = null;
      if (!pg.latest) drawHeat();
      changed();
      return;
    }
    if (!pg.data) return;
    let best = 0, dist = Infinity;
    pg.data.train.forEach((p, i) => {
      const d = (p[0] - x1) ** 2 + (p[1] - x2) ** 2;
      if (d < dist) { dist = d; best = i; }
    });
    control("probe", { probe: best });
  }

  function exportName(fmt) { return `costlab-playground-boundary.${fmt}`; }

  function exportPNG() {
    if (!pg.latest) return;
    const size = 720, head = 40;
    const c = document.createElement("canvas");
    c.width = size; c.height = size + head;
    const ctx = c.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, c.width, c.height);
    ctx.fillStyle = "#1f2933";
    ctx.font = "600 22px DejaVu Sans, Arial, sans-serif";
    ctx.fillText(`${t("Decision boundary")}, ${t("epoch {e}", { e: pg.latest.epoch })}`, 12, 28);
    ctx.translate(0, head);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(pg.heat, 0, 0, size, size);
    drawPoints(ctx, size, 2);
    c.toBlob((b) => download(b, exportName("png")), "image/png");
  }

  function exportSVG() {
    if (!pg.latest || !pg.data) return;
    const size = 480, head = 30, E = extent();
    const at = (p) => [((p[0] + E) / (2 * E) * size).toFixed(1), ((E - p[1]) / (2 * E) * size + head).toFixed(1)];
    const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
    const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size + head}" viewBox="0 0 ${size} ${size + head}">`,
      `<rect width="${size}" height="${size + head}" fill="#fff"/>`,
      `<text x="8" y="20" font-family="DejaVu Sans, Arial, sans-serif" font-size="15" font-weight="600" fill="#1f2933">` +
      `${esc(t("Decision boundary"))}, ${esc(t("epoch {e}", { e: pg.latest.epoch }))}</text>`,
      `<image x="0" y="${head}" width="${size}" height="${size}" preserveAspectRatio="none" href="${pg.heat.toDataURL("image/png")}"/>`];
    for (const [pts, labels, edge] of [[pg.data.train, pg.data.train_label, "#fff"], [pg.data.test, pg.data.test_label, "#212529"]]) {
      pts.forEach((p, i) => {
        const [x, y] = at(p);
        parts.push(`<circle cx="${x}" cy="${y}" r="4" fill="${classColor(labels[i])}" stroke="${edge}"/>`);
      });
    }
    parts.push("</svg>");
    download(new Blob([parts.join("\n")], { type: "image/svg+xml" }), exportName("svg"));
  }

  /* ------------------------------------------------------------ a CSV file */
  async function onFile() {
    const file = $("#pg-csv").files[0];
    if (!file) return;
    if (file.size > 7000) {
      say(() => t("The file {name} has {size} bytes, more than 7000: nothing was changed.", { name: file.name, size: file.size }), "error");
      $("#pg-csv").value = "";
      return;
    }
    const text = await file.text();
    const r = await fetch("/api/playground/check", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ csv: text }) });
    const j = await r.json();
    if (!r.ok) {
      say(() => t("{name} was not loaded:", { name: file.name }) + " " + j.error, "error");
      document.body.dataset.pgCsv = "refused";
      $("#pg-csv").value = "";
      return;
    }
    pg.csv = text;
    document.body.dataset.pgCsv = "loaded";
    changed();
  }

  /* ------------------------------------------------------------ words in both languages */
  function translate() {
    if (pg.status) say(...pg.status);
    $("#pg-reset").title = t("Reset the network");
    $("#pg-step").title = t("One epoch");
    for (const b of ["#pg-export-svg", "#pg-export-png"]) $(b).title = t("Download the boundary as {fmt}", { fmt: $(b).textContent });
    playButton();
    buildLayers();
    heatLegend();
    pg.drawn = pg.shownFigures = pg.curvesFor = null;
    if (pg.data) layoutNetwork();
    if (pg.latest) frame();
  }

  /* ------------------------------------------------------------ the tab */
  function show() {
    if (!pg.shown) {
      pg.shown = true;
      start();
    } else if (pg.playing && pg.running) {
      control("play");
    }
    requestAnimationFrame(() => { pg.heatSize = 0; if (pg.data) layoutNetwork(); drawHeat(); pg.drawn = pg.shownFigures = pg.curvesFor = null; frame(); });
  }

  function hide() {
    if (pg.running && pg.playing) control("pause");  // keeps its place; resumes when the tab shows again
  }

  function wire() {
    for (const [k, sel] of Object.entries(FIELDS)) {
      $(sel).addEventListener("change", () => {
        if (k === "data") {
          showDataBoxes();
          if ($("#pg-data").value === "csv" && !pg.csv) { saveState(); say(() => t("Choose a CSV file of rows x1,x2,label."), ""); return; }
        }
        changed();
      });
    }
    $("#pg-layer-add").addEventListener("click", () => {
      if (pg.layers.length < MAX_LAYERS) {
        pg.layers.push({ n: 4, act: pg.layers.length ? pg.layers[pg.layers.length - 1].act : "tanh" });
        structure();
      }
    });
    $("#pg-layer-remove").addEventListener("click", () => { if (pg.layers.length) { pg.layers.pop(); structure(); } });
    $("#pg-play").addEventListener("click", play);
    $("#pg-step").addEventListener("click", step);
    $("#pg-reset").addEventListener("click", start);
    $("#pg-clear").addEventListener("click", () => { pg.points = []; pg.dotsKey = null; drawHeat(); changed(); });
    $("#pg-csv").addEventListener("change", onFile);
    $("#pg-heat").addEventListener("click", onPlaneClick);
    $("#pg-export-png").addEventListener("click", exportPNG);
    $("#pg-export-svg").addEventListener("click", exportSVG);
    $("#tab-playground").addEventListener("click", () => showTab("playground"));
    // closing the page ends the run: the stream closes, and the server stops its worker
    window.addEventListener("pagehide", () => { if (pg.abort) pg.abort.abort(); });
    let resize = null;
    new ResizeObserver(() => {
      clearTimeout(resize);
      resize = setTimeout(() => {
        pg.heatSize = 0;
        if (!$("#view-playground").hidden) { layoutNetwork(); drawHeat(); frame(); }
      }, 80);
    }).observe($("#view-playground"));
  }

  pg.heat = document.createElement("canvas");
  const restored = restore();
  buildFeatures();
  buildLayers();
  showDataBoxes();
  heatLegend();
  playButton();
  wire();
  TAB_HOOKS.playground = { show, hide, query, lang: translate };
  window.costlabPlayground = pg;  // for the benchmark and the tests: counters and the latest update
  if (restored) showTab("playground");
})();
