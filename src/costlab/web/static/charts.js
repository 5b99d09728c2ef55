/* costlab's small SVG line charts: no library, no network.
 *
 * Chart.draw(svg, spec) redraws an <svg> to fill its box. spec:
 *   x: [lo, hi], y: [lo, hi], ylog: bool, xint: bool (whole-number ticks), xlabel, ylabel, yformat(v) -> text,
 *   series:   [{name, color, dash, width, x: [...], y: [...]}]
 *   segments: [{x1, y1, x2, y2, color, dash, width}]
 *   points:   [{x, y, color, r, hollow, name}]
 *   vline:    x (a marker across the plot), hlines: [{y, label, cls}] (each label placed where no curve runs;
 *             cls "dotted" for a second, lighter line)
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

  const SUP = { "-": "\u207b", 0: "\u2070", 1: "\u00b9", 2: "\u00b2", 3: "\u00b3", 4: "\u2074", 5: "\u2075",
    6: "\u2076", 7: "\u2077", 8: "\u2078", 9: "\u2079" };

  /* A tick of a log axis: 1, 10 as they are, every other power of ten as 10 with a superscript (10⁻⁴, 10³),
   * so that one axis never mixes 0.001 with 1e-4. */
  function fmtPow(v) {
    const e = Math.round(Math.log10(v));
    if (e === 0) return "1";
    if (e === 1) return "10";
    return "10" + String(e).split("").map((c) => SUP[c]).join("");
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
    const yt = ylog ? logTicks(y0, y1) : ticks(y0, y1, 5);
    const ytext = yt.map((v) => (spec.yformat ? spec.yformat(v) : ylog ? fmtPow(v) : fmt(v)));
    // room for the widest tick label (about 6.3 px a character at 11 px) and the axis title beside it
    m.left = Math.max(m.left, Math.ceil(26 + 6.3 * Math.max(0, ...ytext.map((s) => s.length))));
    const px = (x) => m.left + (x - x0) / ((x1 - x0) || 1) * (W - m.left - m.right);
    const ty = ylog ? (y) => Math.log10(Math.max(y, y0)) : (y) => y;
    const py = (y) => H - m.bottom - (ty(y) - ty(y0)) / ((ty(y1) - ty(y0)) || 1) * (H - m.top - m.bottom);
    Object.assign(svg.dataset, {
      x0, x1, y0, y1, ylog: ylog ? "1" : "0",
      left: m.left, right: W - m.right, top: m.top, bottom: H - m.bottom,
    });

    // grid and axes
    const grid = el("g", { class: "grid" }, svg);
    let xt = ticks(x0, x1, compact ? 4 : 7);
    if (spec.xint) {  // epochs: whole numbers only
      xt = xt.filter((v) => Math.abs(v - Math.round(v)) < 1e-9);
      if (xt.length < 2) xt = [x0, x1].map(Math.round);
    }
    for (const v of xt) {
      el("line", { x1: px(v), x2: px(v), y1: m.top, y2: H - m.bottom }, grid);
      el("text", { x: px(v), y: H - m.bottom + 15, class: "tick", "text-anchor": "middle" }, grid).textContent = fmt(v);
    }
    yt.forEach((v, i) => {
      el("line", { x1: m.left, x2: W - m.right, y1: py(v), y2: py(v) }, grid);
      el("text", { x: m.left - 6, y: py(v) + 4, class: "tick", "text-anchor": "end" }, grid).textContent = ytext[i];
    });
    el("rect", { x: m.left, y: m.top, width: W - m.left - m.right, height: H - m.top - m.bottom, class: "frame" }, svg);
    if (spec.xlabel) {
      el("text", { x: (m.left + W - m.right) / 2, y: H - 4, class: "axis-label", "text-anchor": "middle" }, svg).textContent = spec.xlabel;
    }
    if (spec.ylabel) {
      el("text", { x: compact ? 10 : 12, y: (m.top + H - m.bottom) / 2, class: "axis-label", "text-anchor": "middle",
        transform: `rotate(-90 12 ${(m.top + H - m.bottom) / 2})` }, svg).textContent = spec.ylabel;
    }

    const clipId = svg.id + "-clip";
    const defs = el("defs", {}, svg);
    // the clip leaves room for a marker's half beyond the plot's edges
    el("rect", { x: m.left - 7, y: m.top - 7, width: W - m.left - m.right + 14, height: H - m.top - m.bottom + 14 },
      el("clipPath", { id: clipId }, defs));
    const plot = el("g", { "clip-path": `url(#${clipId})` }, svg);

    for (const h of spec.hlines || []) {
      el("line", { x1: m.left, x2: W - m.right, y1: py(h.y), y2: py(h.y), class: "hline" + (h.cls ? " " + h.cls : "") }, plot);
    }
    const drawn = [];  // every drawn series' points, in pixels, to keep labels off the curves
    for (const s of spec.series || []) {
      const parts = [];
      for (let i = 0; i < s.x.length; i++) {
        const yv = s.y[i];
        if (yv === null || yv === undefined || !isFinite(yv)) continue;
        parts.push((parts.length ? "L" : "M") + px(s.x[i]).toFixed(2) + "," + py(yv).toFixed(2));
        drawn.push([px(s.x[i]), py(yv)]);
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
    // labels of horizontal lines: the first place (right, left, middle; above, below) that no curve crosses
    for (const h of spec.hlines || []) {
      if (!h.label) continue;
      const t = el("text", { x: 0, y: 0, class: "hline-label" }, plot);
      t.textContent = h.label;
      const w = t.getComputedTextLength ? t.getComputedTextLength() : h.label.length * 6;
      const y = py(h.y);
      const spots = [];
      for (const dy of [-4, 13]) {
        for (const x of [W - m.right - 4 - w, m.left + 4, (m.left + W - m.right - w) / 2, m.left + (W - m.left - m.right) * 0.25]) {
          spots.push([x, y + dy]);
        }
      }
      const fits = ([x, yb]) => yb - 11 >= m.top && yb <= H - m.bottom &&
        !segmentsCross(drawn, x - 3, yb - 12, x + w + 3, yb + 3);
      const spot = spots.find(fits);
      if (!spot) { t.remove(); continue; }  // nowhere free: the legend says it instead
      t.setAttribute("x", spot[0].toFixed(1));
      t.setAttribute("y", spot[1].toFixed(1));
    }
    return { px, py, W, H, m };
  }

  /* Whether any segment between consecutive points (one series after another) enters the box. */
  function segmentsCross(points, x0, y0, x1, y1) {
    const inside = ([x, y]) => x >= x0 && x <= x1 && y >= y0 && y <= y1;
    for (let i = 0; i < points.length; i++) {
      if (inside(points[i])) return true;
      if (i > 0) {
        const [ax, ay] = points[i - 1], [bx, by] = points[i];
        for (let k = 1; k < 8; k++) {  // sample the segment: curves here are drawn from hundreds of points
          if (inside([ax + (bx - ax) * k / 8, ay + (by - ay) * k / 8])) return true;
        }
      }
    }
    return false;
  }

  const STYLE_PROPS = ["stroke", "stroke-width", "stroke-dasharray", "stroke-linejoin", "stroke-linecap", "fill",
    "font-size", "font-family", "font-weight", "font-style", "opacity", "text-anchor"];

  /* A drawn chart as a stand-alone SVG document: styles inlined, a title and a legend on top. */
  function toSVG(svg, title, keys) {
    const W = svg.viewBox.baseVal.width || svg.clientWidth, H = svg.viewBox.baseVal.height || svg.clientHeight;
    const head = 24 + (keys.length ? 18 : 0);
    const out = document.createElementNS(NS, "svg");
    out.setAttribute("xmlns", NS);
    out.setAttribute("width", W);
    out.setAttribute("height", H + head);
    out.setAttribute("viewBox", `0 0 ${W} ${H + head}`);
    el("rect", { x: 0, y: 0, width: W, height: H + head, fill: "white" }, out);
    const font = "DejaVu Sans, Arial, sans-serif";
    el("text", { x: 8, y: 17, "font-size": 13, "font-weight": 600, "font-family": font, fill: "#1f2933" }, out).textContent = title;
    let x = 8;
    for (const k of keys) {
      el("line", { x1: x, x2: x + 16, y1: 33, y2: 33, stroke: k.color, "stroke-width": 3,
        "stroke-dasharray": k.dash ? "5 3" : "none" }, out);
      const t = el("text", { x: x + 21, y: 37, "font-size": 11, "font-family": font, fill: "#5f6b7a" }, out);
      t.textContent = k.label;
      x += 30 + k.label.length * 6.2;
    }
    const body = svg.cloneNode(true);
    const src = [svg, ...svg.querySelectorAll("*")], dst = [body, ...body.querySelectorAll("*")];
    src.forEach((node, i) => {  // the page's CSS, written out as presentation attributes
      const cs = getComputedStyle(node);
      for (const p of STYLE_PROPS) {
        const v = cs.getPropertyValue(p);
        if (v) dst[i].setAttribute(p, v);
      }
    });
    const g = el("g", { transform: `translate(0, ${head})` }, out);
    for (const a of ["class", "id", "role", "aria-label"]) body.removeAttribute(a);
    body.setAttribute("width", W);
    body.setAttribute("height", H);
    g.appendChild(body);
    return new XMLSerializer().serializeToString(out);
  }

  /* The same as a PNG blob, drawn at ``scale`` times its size. */
  function toPNG(svgText, scale) {
    return new Promise((resolve, reject) => {
      const img = new Image();
      img.onload = () => {
        const c = document.createElement("canvas");
        c.width = Math.round(img.width * scale);
        c.height = Math.round(img.height * scale);
        const ctx = c.getContext("2d");
        ctx.scale(scale, scale);
        ctx.drawImage(img, 0, 0);
        c.toBlob((b) => (b ? resolve(b) : reject(new Error("no PNG"))), "image/png");
      };
      img.onerror = () => reject(new Error("the SVG did not load"));
      img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svgText);
    });
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

  return { draw, xAt, ticks, fmt, fmtPow, toSVG, toPNG };
})();
