/* costlab's picture of one neuron: its inputs a_k, weights w_k and bias b, the weighted input
 * z = sum_k w_k a_k + b, the activation sigma, the output a and the cost C(a, y).
 *
 * NeuronPicture.draw(svg, spec) redraws an <svg> to fill its box; spec:
 *   inputs: [{label, value}], w: [...], b, z, act (a name: "sigmoid", "softmax", ...), a, y, cost (a name), C
 * Every number comes from the server; this file only draws. The one-neuron tab and the
 * playground both use it. Its words go through the page's t() (app.js).
 */
"use strict";

const NeuronPicture = (() => {
  const NS = "http://www.w3.org/2000/svg";

  function el(name, attrs, parent, text) {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }

  function num(v) {
    if (v === null || v === undefined || !isFinite(v)) return "–";
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e4) ? v.toExponential(2) : String(+(+v).toPrecision(3));
  }

  function draw(svg, spec) {
    const W = Math.max(svg.clientWidth || 0, 280);
    const inputs = spec.inputs || [];
    const rows = Math.max(inputs.length, 1);
    const H = Math.max(svg.clientHeight || 0, Math.min(60 + rows * 26, 280));
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    const compact = W < 460;
    const xIn = Math.max(40, W * 0.1), rin = 14, r = compact ? 30 : 36;
    const cx = Math.max(xIn + 110, W * (compact ? 0.44 : 0.4)), cy = H / 2;
    const act = { sigmoid: "σ", tanh: "tanh", relu: "ReLU", identity: "z", softmax: "softmax" }[spec.act] || spec.act;
    const xOut = cx + r + Math.max(compact ? 40 : 60, (act.length + 3) * 7 + 16);
    const step = Math.min(34, (H - 30) / rows);
    const top = cy - (step * (inputs.length - 1)) / 2;
    inputs.forEach((inp, k) => {
      const y = top + k * step;
      const w = spec.w[k];
      el("line", { x1: xIn + rin, y1: y, x2: cx - r, y2: cy, class: "np-edge " + (w >= 0 ? "pos" : "neg"),
        "stroke-width": Math.min(0.8 + Math.abs(w) * 1.2, 6).toFixed(2) }, svg);
      el("circle", { cx: xIn, cy: y, r: rin, class: "np-input" }, svg);
      el("text", { x: xIn - rin - 4, y: y + 4, "text-anchor": "end", class: "np-label" }, svg, inp.label);
      el("text", { x: xIn, y: y + 3.5, "text-anchor": "middle", class: "np-small" }, svg, num(inp.value));
      el("text", { x: xIn + rin + 4, y: y - 5, class: "np-w" }, svg, "w = " + num(w));
    });
    el("circle", { cx, cy, r, class: "np-neuron" }, svg);
    el("text", { x: cx, y: cy - 8, "text-anchor": "middle", class: "np-label" }, svg, "z = " + num(spec.z));
    el("text", { x: cx, y: cy + 10, "text-anchor": "middle", class: "np-small" }, svg, "b = " + num(spec.b));
    el("text", { x: cx, y: cy + r + 15, "text-anchor": "middle", class: "np-note" }, svg, "z = Σ w a + b");
    el("line", { x1: cx + r, y1: cy, x2: xOut - 10, y2: cy, class: "np-arrow" }, svg);
    el("text", { x: (cx + r + xOut - 10) / 2, y: cy - 6, "text-anchor": "middle", class: "np-label" }, svg, act + "(z)");
    el("text", { x: xOut, y: cy - 6, class: "np-big" }, svg, "a = " + num(spec.a));
    el("text", { x: xOut, y: cy + 12, class: "np-small" }, svg, t("target") + " y = " + num(spec.y));
    if (spec.C !== undefined) {
      el("text", { x: xOut, y: cy + 30, class: "np-cost" }, svg, "C = " + num(spec.C));
      if (spec.cost) el("text", { x: xOut, y: cy + 46, class: "np-small" }, svg, spec.cost);
    }
  }

  return { draw };
})();
