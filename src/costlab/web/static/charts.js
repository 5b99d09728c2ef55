/* costlab's small SVG line charts: no library, no network.
 *
 * Chart.draw(svg, spec) redraws an <svg> to fill its box. spec:
 *   x: [lo, hi], y: [lo, hi], ylog: bool, xlabel, ylabel, yformat(v) -> text,
 *   series:   [{name, color, dash, width, x: [...], y: [...]}]
 *   segments: [{x1, y1, x2, y2, color, dash, width}]
 *   points:   [{x, y, color, r, hollow, name}]
 *   vline:    x (a marker across the plot), hlines: [{y, label}]
 * The svg keeps its scales as data attributes (data-x0, data-x1, data-y0, data-y1,
 * data-left, data-right, data-top, data-bottom, data-ylog), and each series path its
 * name (data-series) and number of points (data-n), so a reader can map pixels back.
 */
"use strict";

const Chart = (() => {
  const NS = "http://www.w3.org/2000/svg";

  function el(name, attrs, parent) {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (parent) parent.appendChild(e);
    return e;
  }

  function niceStep(span, count) {
    const raw = span / Math.max(count, 1);
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const r = raw / mag;
    return (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * mag;
  }

  function ticks(lo, hi, count) {
    if (!(hi > lo)) return [lo];
    const step = niceStep(hi - lo, count);
    const out = [];
    for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
      out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    }
    return out;
  }

  function logTicks(lo, hi) {
    const out = [];
    for (let e = Math.ceil(Math.log10(lo) - 1e-9); e <= Math.floor(Math.log10(hi) + 1e-9); e++) out.push(Math.pow(10, e));
    return out;
  }

  function fmt(v) {
    if (v === 0) return "0";
    const a = Math.abs(v);
    if (a >= 1e4 || a < 1e-3) return v.toExponential(0).replace("e+", "e");
    return String(+v.toPrecision(4));
  }

  function draw(svg, spec) {
    const W = Math.max(svg.clientWidth || 0, 200);
    const H = Math.max(svg.clientHeight || 0, 150);
    const compact = W < 420;
    const m = { left: compact ? 44 : 54, right: 12, top: 10, bottom: 38 };
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    const [x0, x1] = spec.x;
    let [y0, y1] = spec.y;
    const ylog = !!spec.ylog;
    if (ylog) { y0 = Math.max(y0, 1e-300); }
    const px = (x) => m.left + (x - x0) / ((x1 - x0) || 1) * (W - m.left - m.right);
    const ty = ylog ? (y) => Math.log10(Math.max(y, y0)) : (y) => y;
    const py = (y) => H - m.bottom - (ty(y) - ty(y0)) / ((ty(y1) - ty(y0)) || 1) * (H - m.top - m.bottom);
    Object.assign(svg.dataset, {
      x0, x1, y0, y1, ylog: ylog ? "1" : "0",
      left: m.left, right: W - m.right, top: m.top, bottom: H - m.bottom,
    });

    // grid and axes
    const grid = el("g", { class: "grid" }, svg);
    const xt = ticks(x0, x1, compact ? 4 : 7);
    const yt = ylog ? logTicks(y0, y1) : ticks(y0, y1, 5);
    for (const v of xt) {
      el("line", { x1: px(v), x2: px(v), y1: m.top, y2: H - m.bottom }, grid);
      el("text", { x: px(v), y: H - m.bottom + 15, class: "tick", "text-anchor": "middle" }, grid).textContent = fmt(v);
    }
    for (const v of yt) {
      el("line", { x1: m.left, x2: W - m.right, y1: py(v), y2: py(v) }, grid);
      el("text", { x: m.left - 6, y: py(v) + 4, class: "tick", "text-anchor": "end" }, grid).textContent =
        spec.yformat ? spec.yformat(v) : fmt(v);
    }
    el("rect", { x: m.left, y: m.top, width: W - m.left - m.right, height: H - m.top - m.bottom, class: "frame" }, svg);
    if (spec.xlabel) {
      el("text", { x: (m.left + W - m.right) / 2, y: H - 4, class: "axis-label", "text-anchor": "middle" }, svg).textContent = spec.xlabel;
    }
    if (spec.ylabel) {
      el("text", { x: 12, y: (m.top + H - m.bottom) / 2, class: "axis-label", "text-anchor": "middle",
        transform: `rotate(-90 12 ${(m.top + H - m.bottom) / 2})` }, svg).textContent = spec.ylabel;
    }

    const clipId = svg.id + "-clip";
    const defs = el("defs", {}, svg);
    // the clip leaves room for a marker's half beyond the plot's edges
    el("rect", { x: m.left - 7, y: m.top - 7, width: W - m.left - m.right + 14, height: H - m.top - m.bottom + 14 },
      el("clipPath", { id: clipId }, defs));
    const plot = el("g", { "clip-path": `url(#${clipId})` }, svg);

    for (const h of spec.hlines || []) {
      el("line", { x1: m.left, x2: W - m.right, y1: py(h.y), y2: py(h.y), class: "hline" }, plot);
      if (h.label) el("text", { x: W - m.right - 4, y: py(h.y) - 4, class: "hline-label", "text-anchor": "end" }, plot).textContent = h.label;
    }
    for (const s of spec.series || []) {
      const parts = [];
      for (let i = 0; i < s.x.length; i++) {
        const yv = s.y[i];
        if (yv === null || yv === undefined || !isFinite(yv)) continue;
        parts.push((parts.length ? "L" : "M") + px(s.x[i]).toFixed(2) + "," + py(yv).toFixed(2));
      }
      el("path", {
        d: parts.join(""), class: "series", stroke: s.color, "stroke-width": s.width || 2.2,
        "stroke-dasharray": s.dash || "none", fill: "none", "data-series": s.name || "", "data-n": parts.length,
      }, plot);
    }
    for (const g of spec.segments || []) {
      el("line", { x1: px(g.x1), y1: py(g.y1), x2: px(g.x2), y2: py(g.y2), stroke: g.color,
        "stroke-width": g.width || 2, "stroke-dasharray": g.dash || "none", class: "segment" }, plot);
    }
    if (spec.vline !== undefined && spec.vline !== null) {
      el("line", { x1: px(spec.vline), x2: px(spec.vline), y1: m.top, y2: H - m.bottom, class: "vline" }, svg);
    }
    for (const p of spec.points || []) {
      el("circle", { cx: px(p.x), cy: py(p.y), r: p.r || 5, class: "point" + (p.hollow ? " hollow" : ""),
        stroke: p.color, fill: p.hollow ? "white" : p.color, "data-point": p.name || "" }, plot);
    }
    return { px, py, W, H, m };
  }

  /* The data x of a pointer event over a chart drawn by draw(). */
  function xAt(svg, event) {
    const r = svg.getBoundingClientRect();
    const W = r.width || 1;
    const vb = svg.viewBox.baseVal;
    const sx = (event.clientX - r.left) * (vb && vb.width ? vb.width / W : 1);
    const d = svg.dataset;
    const f = (sx - +d.left) / (+d.right - +d.left);
    return +d.x0 + Math.min(1, Math.max(0, f)) * (+d.x1 - +d.x0);
  }

  return { draw, xAt, ticks, fmt };
})();
