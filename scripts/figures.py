"""Draw every image of the README and docs/ (run by scripts/figures.sh).

Each image is an entry of :data:`GALLERY`: its path, the parameters it is
drawn with and the code that decides how it looks. Every file is stamped with
costlab's version, those parameters and a fingerprint of that code
(:func:`stamp`); tests/test_gallery.py reads the stamps back and fails when a
committed image was drawn by other code or with other parameters than these.

    python scripts/figures.py            # all of them
    python scripts/figures.py slowdown   # those whose path contains "slowdown"
"""

from __future__ import annotations

import hashlib
import inspect
import json
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@dataclass
class Entry:
    """One image: where it goes, what it shows, how (``draw(path, params)``), and the code it depends on."""

    path: str
    params: dict
    draw: object
    code: list = field(default_factory=list)  # callables, modules, or paths (str) under ROOT


def _source(thing) -> str:
    if isinstance(thing, str):
        return (ROOT / thing).read_text()
    return inspect.getsource(thing)


def fingerprint(entry: Entry) -> str:
    """The first 16 hex digits of SHA-256 over the source of everything that decides how ``entry`` looks."""
    h = hashlib.sha256()
    for thing in entry.code:
        h.update(_source(thing).encode())
    return h.hexdigest()[:16]


def stamp(entry: Entry) -> dict:
    """What the image carries in its metadata: costlab's version, the figure, its parameters, the code's fingerprint."""
    from costlab import __version__

    return {"costlab": __version__, "parameters": {"figure": entry.path, **entry.params, "code": fingerprint(entry)}}


def read_stamp(path) -> dict | None:
    """The stamp of a PNG written here, or None."""
    from PIL import Image

    with Image.open(path) as im:
        text = im.text.get("costlab") if hasattr(im, "text") else None
    return json.loads(text) if text else None


def _stamp_png(path: Path, entry: Entry):
    """Add the stamp to a PNG written by something else (a browser's screenshot)."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    from costlab import __version__

    info = PngInfo()
    info.add_text("Software", f"costlab {__version__}")
    info.add_text("costlab", json.dumps(stamp(entry), sort_keys=True))
    with Image.open(path) as im:
        im.load()
        im.save(path, pnginfo=info, optimize=True)


# --------------------------------------------------------------------------- #
# Figures drawn by costlab.plots
# --------------------------------------------------------------------------- #

def _save(fig, path, entry):
    from costlab.plots import save_figure

    save_figure(fig, path, stamp(entry)["parameters"])


def draw_cost_grid(path, entry):
    from costlab import plots
    from costlab.neuron import reproduce

    runs = [r.to_dict() for r in reproduce(eta=entry.params["eta"], epochs=entry.params["epochs"])]
    _save(plots.cost_grid_figure(runs), path, entry)


def draw_map(path, entry):
    from costlab import plots
    from costlab.slowdown import parse_range, slowdown_map

    p = entry.params
    smap = slowdown_map(w=parse_range(p["w"], "w"), b=parse_range(p["b"], "b"))
    _save(plots.slowdown_figure(smap), path, entry)


def draw_compare(path, entry):
    from costlab import plots
    from costlab.compare import compare

    p = entry.params
    result = compare(p["data"], costs=tuple(p["costs"]), etas=(p["eta"],), seeds=p["seeds"], epochs=p["epochs"],
                     inits=tuple(p["inits"]), batch_size=p["batch_size"])
    _save(plots.comparison_figure(result.summary, result.config), path, entry)


def draw_layers(path, entry):
    from costlab import plots
    from costlab.data import load_data
    from costlab.layers import layer_speeds

    p = entry.params
    d = load_data(p["data"])
    result = layer_speeds(d.X_train, d.y_train, sizes=p["sizes"], costs=tuple(p["costs"]),
                          activations=tuple(p["activations"]), epochs=p["epochs"], eval_data=(d.X_test, d.y_test))
    _save(plots.layers_figure(result.to_dict()), path, entry)


def draw_reproduce(path, entry):
    """One figure of ``costlab reproduce`` (by its file stem), in English or Chinese."""
    from costlab import i18n, plots
    from costlab.neuron import reproduce

    p = entry.params
    runs = [r.to_dict() for r in reproduce(eta=p["eta"], epochs=p["epochs"])]
    with i18n.language(p.get("lang", "en")):
        _save(plots.reproduce_figures(runs)[p["figure"]], path, entry)


def draw_layers_zh(path, entry):
    from costlab import i18n

    with i18n.language("zh"):
        draw_layers(path, entry)


def draw_map_zh(path, entry):
    from costlab import i18n

    with i18n.language("zh"):
        draw_map(path, entry)


def draw_example(path, entry):
    """An example script that draws its own figure: run it with the path, then stamp the PNG."""
    import subprocess

    subprocess.run([sys.executable, str(ROOT / entry.params["script"]), str(path)], check=True,
                   stdout=subprocess.DEVNULL)
    _stamp_png(Path(path), entry)


# --------------------------------------------------------------------------- #
# Screenshots (Debian's chromium through Playwright)
# --------------------------------------------------------------------------- #

_browser = None


def _chromium():
    global _browser
    if _browser is None:
        from playwright.sync_api import sync_playwright

        pw = sync_playwright().start()
        _browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    return _browser


def _wait_page(page):
    from playwright.sync_api import expect

    expect(page.locator("#final-quadratic .final-a")).to_have_text("0.2028", timeout=15000)
    page.wait_for_timeout(300)


def draw_page(path, entry):
    from costlab.web.app import background_server

    p = entry.params
    with background_server() as url:
        phone = p["viewport"] == "phone"
        page = _chromium().new_page(viewport=PHONE if phone else LAPTOP,
                                    device_scale_factor=p.get("scale", 2 if phone else 1),
                                    is_mobile=phone, has_touch=phone)
        page.goto(url + p.get("query", ""))
        if not p.get("playground_epoch"):  # the playground opens on its own tab
            _wait_page(page)
        if p.get("tab"):
            page.click(f"#tab-{p['tab']}")
            for box, value in p.get("fill", {}).items():
                page.fill(box, str(value))
            if p.get("train"):
                from playwright.sync_api import expect

                start = page.locator(f"#view-{p['tab']} button.primary")
                start.click()
                page.wait_for_timeout(500)
                expect(start).to_be_enabled(timeout=120000)
            page.wait_for_timeout(300)
        if p.get("playground_epoch"):
            page.wait_for_function("() => document.querySelector('[data-testid=pg-epoch]').textContent === "
                                   f"'{p['playground_epoch']}'", timeout=120000)
        if p.get("epoch") is not None:
            page.eval_on_selector("#epoch", f"e => {{ e.value = {p['epoch']}; e.dispatchEvent(new Event('input')); }}")
        if p.get("scroll_to"):
            page.evaluate(f"window.scrollTo(0, document.querySelector('{p['scroll_to']}').getBoundingClientRect().top"
                          " + window.scrollY - 8)")
        page.wait_for_timeout(200)
        page.screenshot(path=path, full_page=bool(p.get("full_page")))
        page.close()
    _stamp_png(Path(path), entry)


_report_cache = {}


def draw_report(path, entry):
    from costlab.report import report_data, report_html

    p = entry.params
    key = (p["data"], p["map_points"])
    if key not in _report_cache:
        _report_cache[key] = report_data(data=None if p["data"] == "none" else p["data"], map_points=p["map_points"])
    with tempfile.TemporaryDirectory() as tmp:
        html = Path(tmp) / "report.html"
        html.write_text(report_html(_report_cache[key], lang=p["lang"]))
        page = _chromium().new_page(viewport=PHONE if p.get("viewport") == "phone" else LAPTOP)
        page.goto(html.as_uri())
        page.wait_for_load_state("load")
        if p.get("element"):  # one section, whole
            page.locator(p["element"]).screenshot(path=path)
        else:
            page.evaluate(f"window.scrollTo(0, document.querySelector('{p['scroll_to']}').offsetTop - 12)")
            page.screenshot(path=path)
        page.close()
    _stamp_png(Path(path), entry)


def _gallery() -> list[Entry]:
    from costlab import palette, plots, report

    figure_code = [palette, plots.figure_bytes, plots.figure_metadata, plots._style, plots.key_handles]
    page_code = [palette, "src/costlab/web/static/style.css", "src/costlab/web/static/charts.js",
                 "src/costlab/web/static/index.html", "src/costlab/web/static/app.js"]
    report_code = [palette, report]
    return [
        Entry("docs/figures/cost-vs-epoch.png", {"eta": 0.15, "epochs": 300}, draw_cost_grid,
              figure_code + [plots.cost_grid_figure, plots.start_label]),
        Entry("docs/figures/slowdown-map.png", {"w": "-6:6:401", "b": "-6:6:401"}, draw_map,
              figure_code + [plots.slowdown_figure, plots.plot_slowdown_map, plots.plot_slowdown_by_a0,
                             plots._map_colorbar, plots._map_title]),
        Entry("docs/figures/compare-accuracy.png",
              {"data": "digits", "costs": ["quadratic", "cross-entropy", "log-likelihood"], "eta": 0.5, "seeds": 5,
               "epochs": 30, "inits": ["default", "large"], "batch_size": 10}, draw_compare,
              figure_code + [plots.comparison_figure, plots.plot_comparison, plots.spec_label]),
        Entry("docs/figures/layers.png",
              {"data": "digits", "sizes": [64, 30, 30, 30, 10], "costs": ["quadratic", "cross-entropy"],
               "activations": ["sigmoid", "relu"], "epochs": 30}, draw_layers,
              figure_code + [plots.layers_figure, plots.plot_layer_speeds, plots.plot_layer_fractions,
                             plots._log_ticks]),
        Entry("docs/figures/weighted-focal-costs.png", {"script": "examples/weighted_and_focal_costs.py"},
              draw_example, figure_code + ["examples/weighted_and_focal_costs.py", plots.cost_curves_figure,
                                           plots.spec_label]),
        Entry("docs/screenshots/serve-laptop.png", {"viewport": "laptop", "query": "?w=2&b=2", "epoch": 150},
              draw_page, page_code),
        Entry("docs/screenshots/serve-phone.png", {"viewport": "phone", "scroll_to": "#results"}, draw_page, page_code),
        Entry("docs/screenshots/serve-logit.png", {"viewport": "laptop", "query": "?w=2&b=2&z=4", "scroll_to": "#logit"},
              draw_page, page_code),
        Entry("docs/screenshots/report.png", {"lang": "en", "data": "digits", "map_points": 201,
                                              "scroll_to": "#experiment"}, draw_report, report_code),
        Entry("docs/screenshots/report-zh.png", {"lang": "zh", "data": "digits", "map_points": 201,
                                                 "scroll_to": "#experiment"}, draw_report, report_code),
        *_more(figure_code, page_code, report_code),
    ]


#: The page's tabs, each with what to do before its screenshot (train it, in a few epochs).
TABS = {
    "neuron": {},
    "network": {"fill": {"#net-epochs": 15, "#pace": 0}, "train": True},
    "layers": {"fill": {"#lay-epochs": 8}, "train": True},
}


def _more(figure_code, page_code, report_code) -> list[Entry]:
    """Every figure of ``costlab reproduce``, the Chinese figures, every tab of the page in both languages
    on a laptop and a phone, and the report's derivations in both languages."""
    from costlab import plots

    entries = [Entry(f"docs/figures/{name}.png", {"eta": 0.15, "epochs": 300, "figure": name}, draw_reproduce,
                     figure_code + [plots.reproduce_figures, plots.start_label, plots.plot_cost, plots.plot_output,
                                    plots.plot_sigmoid, plots.plot_sigmoid_prime, plots.plot_gradient])
               for name in ("cost-vs-epoch-all", "output-vs-epoch", "sigmoid-slopes", "gradient-vs-output")]
    entries.append(Entry("docs/figures/cost-vs-epoch-zh.png", {"eta": 0.15, "epochs": 300, "figure": "cost-vs-epoch",
                                                             "lang": "zh"}, draw_reproduce,
                         figure_code + [plots.cost_grid_figure, plots.start_label]))
    entries.append(Entry("docs/figures/slowdown-map-zh.png", {"w": "-6:6:201", "b": "-6:6:201"}, draw_map_zh,
                         figure_code + [plots.slowdown_figure, plots.plot_slowdown_map, plots.plot_slowdown_by_a0,
                                        plots._map_colorbar, plots._map_title]))
    entries.append(Entry("docs/figures/layers-zh.png",
                         {"data": "digits", "sizes": [64, 30, 30, 30, 10], "costs": ["quadratic", "cross-entropy"],
                          "activations": ["sigmoid", "relu"], "epochs": 30}, draw_layers_zh,
                         figure_code + [plots.layers_figure, plots.plot_layer_speeds, plots.plot_layer_fractions,
                                        plots._log_ticks]))
    for tab, how in TABS.items():
        for lang in ("en", "zh"):
            for viewport in ("laptop", "phone"):
                entries.append(Entry(f"docs/screenshots/tab-{tab}-{lang}-{viewport}.png",
                                     {"viewport": viewport, "query": f"?lang={lang}", "tab": tab, **how, "scale": 1},
                                     draw_page, page_code))
    link = ("?tab=playground&data=spiral&hidden=8,8&act=tanh&features=x1,x2,sinx1,sinx2&output=softmax"
            "&cost=log-likelihood&eta=0.1&epochs=150&pace=0&autoplay=1")
    for lang in ("en", "zh"):
        for viewport in ("laptop", "phone"):
            entries.append(Entry(f"docs/screenshots/playground-{viewport}-{lang}.png",
                                 {"viewport": viewport, "query": f"{link}&lang={lang}", "playground_epoch": 150},
                                 draw_page, page_code + ["src/costlab/web/static/playground.js",
                                                         "src/costlab/web/static/neuronpic.js"]))
    for lang in ("en", "zh"):
        entries.append(Entry(f"docs/screenshots/report-derivations{'-zh' if lang == 'zh' else ''}.png",
                             {"lang": lang, "data": "none", "map_points": 21, "element": "#derivations"},
                             draw_report, report_code))
    entries.append(Entry("docs/screenshots/report-derivations-phone.png",
                         {"lang": "en", "data": "none", "map_points": 21, "element": "#derivations", "viewport": "phone"},
                         draw_report, report_code))
    return entries


def gallery() -> list[Entry]:
    """Every image of the README and docs/, in drawing order."""
    return _gallery()


def main(argv) -> int:
    chosen = [e for e in gallery() if not argv or any(a in e.path for a in argv)]
    if not chosen:
        print(f"figures.py: no image matches {' '.join(argv)}", file=sys.stderr)
        return 2
    for entry in chosen:
        path = ROOT / entry.path
        path.parent.mkdir(parents=True, exist_ok=True)
        print(f"drawing {entry.path}", flush=True)
        entry.draw(path, entry)
    if _browser is not None:
        _browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
