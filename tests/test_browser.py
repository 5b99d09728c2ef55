"""The page of ``costlab serve`` and the report in a real headless Chromium (Playwright).

Debian's chromium drives the tests (``apt-get install chromium``; scripts/test.sh
installs it): Playwright's own browser download is never used. Without it these
tests fail, saying so. Screenshots and the report's PDF go to test-artifacts/.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import httpx
import pytest

from costlab.web.app import background_server

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("COSTLAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: install Debian's package (apt-get install chromium; scripts/test.sh "
                    "does) or set COSTLAB_CHROMIUM to a Chromium binary", pytrace=False)
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def server():
    with background_server() as url:
        yield url


class Watched:
    """A page with its console errors, page errors and failed requests collected."""

    def __init__(self, browser, viewport):
        self.page = browser.new_page(viewport=viewport)
        self.errors = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url}"))

    def close(self):
        self.page.close()
        assert self.errors == []


@pytest.fixture
def laptop(browser):
    w = Watched(browser, LAPTOP)
    yield w
    w.close()


def api(server, **params):
    r = httpx.get(f"{server}/api/neuron", params=params, timeout=60)  # a formula's first compile, on a busy machine
    assert r.status_code == 200, r.text
    return r.json()


def final_text(page, cost):
    return page.locator(f"#final-{cost} .final-a").inner_text()


def wait_for_final(page, cost, expected: str):
    from playwright.sync_api import expect

    expect(page.locator(f"#final-{cost} .final-a")).to_have_text(expected, timeout=5000)


def path_points(page, chart, series):
    """The data points of a drawn series, mapped back from pixels with the chart's scales."""
    d = page.get_attribute(f"#{chart} path[data-series='{series}']", "d")
    ds = page.eval_on_selector(f"#{chart}", "svg => ({...svg.dataset})")
    x0, x1, y0, y1 = (float(ds[k]) for k in ("x0", "x1", "y0", "y1"))
    left, right, top, bottom = (float(ds[k]) for k in ("left", "right", "top", "bottom"))
    pts = [tuple(map(float, p.split(","))) for p in re.findall(r"[ML]([-\d.]+,[-\d.]+)", d)]
    data = [(x0 + (px - left) / (right - left) * (x1 - x0), y0 + (bottom - py) / (bottom - top) * (y1 - y0))
            for px, py in pts]
    return d, data, (y1 - y0) / (bottom - top)


def test_preset_and_controls_redraw_with_the_apis_numbers(laptop, server):
    page = laptop.page
    page.goto(server)
    page.wait_for_selector("#final-quadratic .final-a")
    # the page opens on the seed's slow start
    wait_for_final(page, "quadratic", f"{api(server, w=2, b=2)['runs']['quadratic']['a'][300]:.4f}")
    d_slow, _, _ = path_points(page, "chart-output", "quadratic")

    # one click: the seed's other start
    page.click("button[data-preset='a0=0.82']")
    expected = api(server, w=0.6, b=0.9)
    for cost in ("quadratic", "cross-entropy"):
        wait_for_final(page, cost, f"{expected['runs'][cost]['a'][300]:.4f}")
    assert final_text(page, "quadratic") == "0.0940"
    d_fast, points, per_px = path_points(page, "chart-output", "quadratic")
    assert d_fast != d_slow
    assert len(points) == 301
    for e in (0, 50, 150, 300):  # the drawn curve is the API's, to a pixel
        assert points[e][0] == pytest.approx(e, abs=2 * 300 / 1000)
        assert points[e][1] == pytest.approx(expected["runs"]["quadratic"]["a"][e], abs=1.5 * per_px)
    assert page.input_value("#a0") == "0.817574"
    assert page.inner_text("#results").count("first a < 0.5") == 2

    # move a control: type a learning rate
    page.fill("#eta", "0.5")
    expected = api(server, w=0.6, b=0.9, eta=0.5)
    wait_for_final(page, "quadratic", f"{expected['runs']['quadratic']['a'][300]:.4f}")
    _, points, per_px = path_points(page, "chart-output", "cross-entropy")
    assert points[-1][1] == pytest.approx(expected["runs"]["cross-entropy"]["a"][300], abs=1.5 * per_px)

    # move a slider with the keyboard: w goes up by its step, 0.01, per key
    page.focus("#w-range")
    for _ in range(40):
        page.keyboard.press("ArrowRight")
    w = float(page.input_value("#w"))
    assert w == pytest.approx(1.0, abs=1e-9)
    expected = api(server, w=w, b=0.9, eta=0.5)
    wait_for_final(page, "quadratic", f"{expected['runs']['quadratic']['a'][300]:.4f}")
    assert float(page.input_value("#a0")) == pytest.approx(expected["a0"], abs=1e-5)

    # the operating point on the sigmoid sits at the API's (z, a) of the shown epoch
    page.eval_on_selector("#epoch", "e => { e.value = 20; e.dispatchEvent(new Event('input')); }")
    assert page.inner_text("#epoch-value") == "20"
    run = expected["runs"]["quadratic"]
    ds = page.eval_on_selector("#chart-sigmoid", "svg => ({...svg.dataset})")
    cx = float(page.get_attribute("#chart-sigmoid circle[data-point='quadratic']", "cx"))
    z = float(ds["x0"]) + (cx - float(ds["left"])) / (float(ds["right"]) - float(ds["left"])) * (float(ds["x1"]) - float(ds["x0"]))
    assert z == pytest.approx(run["z"][20], abs=0.05)
    assert f"a = {run['a'][20]:.4f}" in page.inner_text("#readout")

    # a bad value is answered by the API's message, and nothing breaks
    page.fill("#epochs", "6000")
    from playwright.sync_api import expect

    expect(page.locator("#neuron-status")).to_contain_text("epochs must be a whole number in [0, 5000]")
    page.fill("#epochs", "300")
    expect(page.locator("#neuron-status")).to_contain_text("computed in")
    # the browser logs the refused request; that one was asked for
    refused = [e for e in laptop.errors if "status of 400" in e]
    assert len(refused) == 1
    laptop.errors.remove(refused[0])


def test_screenshots_laptop_and_phone(browser, server):
    page = browser.new_page(viewport=LAPTOP)
    page.goto(server)
    page.click("button[data-preset='a0=0.98']")
    wait_for_final(page, "quadratic", "0.2028")
    page.eval_on_selector("#epoch", "e => { e.value = 150; e.dispatchEvent(new Event('input')); }")
    page.screenshot(path=ARTIFACTS / "serve-laptop.png")
    # play: the operating point runs through the epochs, from the start
    page.eval_on_selector("#epoch", "e => { e.value = 300; e.dispatchEvent(new Event('input')); }")
    page.click("#play")
    page.wait_for_timeout(400)
    assert 0 < int(page.inner_text("#epoch-value")) < 300
    page.click("#play")  # pause
    page.close()

    page = browser.new_page(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page.goto(server)
    wait_for_final(page, "quadratic", "0.2028")
    # nothing wider than the phone's screen
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=ARTIFACTS / "serve-phone-full.png", full_page=True)
    page.evaluate("window.scrollTo(0, document.querySelector('#results').getBoundingClientRect().top + window.scrollY - 8)")
    page.screenshot(path=ARTIFACTS / "serve-phone.png")
    page.close()


def test_network_view_streams_and_stops(laptop, server):
    from playwright.sync_api import expect

    page = laptop.page
    page.goto(server)
    page.click("#tab-network")
    page.fill("#net-epochs", "6")
    page.fill("#pace", "30")
    page.click("#train-start")
    expect(page.locator("#train-status")).to_contain_text("done: 6 epochs", timeout=20000)
    for cost in ("cross-entropy", "quadratic"):
        assert page.get_attribute(f"#chart-acc path[data-series='{cost} test']", "data-n") == "7"
        assert re.fullmatch(r"\d+\.\d%", page.inner_text(f"#net-{cost} .acc"))
    page.screenshot(path=ARTIFACTS / "serve-network.png")

    # a long training, stopped by the button: the server's worker ends too
    page.fill("#net-epochs", "100")
    page.fill("#pace", "200")
    page.click("#train-start")
    expect(page.locator("#train-status")).to_contain_text(re.compile(r"epoch ([2-9]|\d\d) of 100"), timeout=20000)
    page.click("#train-stop")
    # the server's own "stopped" event, so the stop request and its token were accepted
    expect(page.locator("#train-status")).to_have_text("stopped", timeout=10000)
    expect(page.locator("body")).to_have_attribute("data-stopped-by", "server")
    n = int(page.get_attribute("#chart-acc path[data-series='quadratic test']", "data-n"))
    assert 3 <= n < 20
    for _ in range(50):
        if httpx.get(f"{server}/api/train/status").json()["running"] == 0:
            break
        page.wait_for_timeout(100)
    assert httpx.get(f"{server}/api/train/status").json()["running"] == 0


@pytest.fixture(scope="module")
def report_files(tmp_path_factory):
    """The report in English and in Chinese, from one run of the experiments."""
    from costlab.report import report_data, write_report

    folder = tmp_path_factory.mktemp("report")
    d = report_data(data="digits", map_points=101)
    for lang in ("en", "zh"):
        write_report(folder / f"report-{lang}.html", d, lang)
    return folder / "report-en.html", folder / "report-zh.html"


@pytest.fixture(scope="module")
def report_file(report_files):
    return report_files[0]


def test_the_chinese_report_renders_and_prints(browser, report_files):
    page = browser.new_page(viewport=LAPTOP)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(report_files[1].as_uri())
    page.wait_for_load_state("load")
    assert errors == []
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert "交叉熵代价函数" in page.inner_text("#mechanism")
    assert page.locator("svg.figure").count() == 8
    pdf = page.pdf(format="A4", print_background=True)
    (ARTIFACTS / "report-zh.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 6
    page.close()


def test_report_opens_offline_and_every_figure_renders(browser, report_file):
    page = browser.new_page(viewport=LAPTOP)
    requests, failed, errors = [], [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(report_file.as_uri())
    page.wait_for_load_state("load")
    assert failed == [] and errors == []
    assert requests and all(u.startswith(("file://", "data:")) for u in requests), requests
    sizes = page.eval_on_selector_all(
        "svg.figure, svg.math",
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [e.getAttribute('class'), r.width, r.height]; })",
    )
    assert sum(1 for c, _, _ in sizes if c == "figure") == 8  # with the layers section
    assert sum(1 for c, _, _ in sizes if c == "math") >= 50
    assert all(w > 5 and h > 5 for _, w, h in sizes), [s for s in sizes if not (s[1] > 5 and s[2] > 5)]
    # the figures fill the text column; equations keep their own size
    widths = [w for c, w, _ in sizes if c == "figure"]
    assert min(widths) > 600
    page.locator("#experiment h2").scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, document.querySelector('#experiment').offsetTop - 12)")
    page.screenshot(path=ARTIFACTS / "report.png")
    page.locator("#derivations").scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "report-derivations.png")
    pdf = page.pdf(format="A4", print_background=True)
    (ARTIFACTS / "report.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 6
    page.close()

    phone = browser.new_page(viewport=PHONE)
    phone.goto(report_file.as_uri())
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.close()


NO_LABEL_ON_A_CURVE = """() => {
  const hits = [];
  for (const svg of document.querySelectorAll("svg.chart")) {
    const paths = [...svg.querySelectorAll("path.series")];
    for (const text of svg.querySelectorAll("text")) {
      const b = text.getBBox();
      if (!b.width) continue;
      for (const p of paths) {
        const n = p.getTotalLength();
        for (let s = 0; s <= n; s += 1.5) {
          const q = p.getPointAtLength(s);
          if (q.x > b.x + 1 && q.x < b.x + b.width - 1 && q.y > b.y + 1 && q.y < b.y + b.height - 1) {
            hits.push(`${svg.id}: "${text.textContent}" over ${p.dataset.series}`);
            break;
          }
        }
      }
    }
  }
  return hits;
}"""


def test_the_url_holds_the_state_and_the_logit_view_and_language_switch(laptop, server):
    import math

    from playwright.sync_api import expect

    page = laptop.page
    page.goto(f"{server}/?w=0.6&b=0.9&eta=0.5&epoch=20&z=-2.5&costs=quadratic,cross-entropy&lang=zh")
    expected = api(server, w=0.6, b=0.9, eta=0.5)
    wait_for_final(page, "quadratic", f"{expected['runs']['quadratic']['a'][300]:.4f}")
    # every control as the link set it, in Chinese
    assert page.input_value("#eta") == "0.5" and page.input_value("#logit-z") == "-2.5"
    assert page.inner_text("#epoch-value") == "20"
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert "学习速率" in page.inner_text("#neuron-controls") and "二次代价函数" in page.inner_text("#results")
    # the logit view: the ratio of the two gradients is 1/sigma'(z)
    s = 1 / (1 + math.exp(2.5))
    assert float(page.inner_text("#logit-ratio")) == pytest.approx(1 / (s * (1 - s)), rel=5e-3)  # three digits shown
    assert page.inner_text("#logit-inverse-slope") == page.inner_text("#logit-ratio")
    # back to English; a change of control goes into the URL, and the link restores it
    page.click("#lang")
    expect(page.locator("#neuron-controls")).to_contain_text("learning rate")
    page.fill("#logit-z", "1")
    page.fill("#y", "0.2")
    expected = api(server, w=0.6, b=0.9, eta=0.5, y=0.2)
    wait_for_final(page, "quadratic", f"{expected['runs']['quadratic']['a'][300]:.4f}")
    expect(page).to_have_url(re.compile(r"[?&]y=0\.2\b.*&lang=en"))
    link = page.url
    assert "z=1" in link and "eta=0.5" in link and "w=0.6" in link
    page.click("#copy-link")
    expect(page.locator("#copy-status")).to_have_text("Link copied")
    page.goto("about:blank")
    page.goto(link)  # the link, opened afresh
    wait_for_final(page, "quadratic", f"{expected['runs']['quadratic']['a'][300]:.4f}")
    assert page.input_value("#y") == "0.2" and page.input_value("#logit-z") == "1"
    assert page.input_value("#eta") == "0.5"
    # any chart exports as SVG and as PNG
    with page.expect_download() as d:
        page.click("#chart-logit-grad >> xpath=ancestor::figure//button[@data-fmt='svg']")
    svg = Path(d.value.path()).read_text()
    assert d.value.suggested_filename == "costlab-logit-grad.svg"
    assert svg.startswith("<svg") and 'data-series="ratio"' in svg and "stroke=" in svg
    with page.expect_download() as d:
        page.click("#chart-output >> xpath=ancestor::figure//button[@data-fmt='png']")
    assert Path(d.value.path()).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_no_label_is_drawn_over_a_curve_at_the_posts_settings(browser, server, viewport):
    w = Watched(browser, viewport)
    page = w.page
    page.goto(f"{server}/?epoch=150")  # the page opens on the blog post's 0.98 start
    wait_for_final(page, "quadratic", "0.2028")
    page.wait_for_timeout(300)
    assert page.evaluate(NO_LABEL_ON_A_CURVE) == []
    page.click("button[data-preset='a0=0.82']")
    wait_for_final(page, "quadratic", "0.0940")
    page.wait_for_timeout(300)
    assert page.evaluate(NO_LABEL_ON_A_CURVE) == []
    # the check sees a label that is drawn over a curve
    page.evaluate("""() => { const p = document.querySelector('#chart-output path[data-series="quadratic"]');
      const q = p.getPointAtLength(p.getTotalLength() / 2);
      const t = document.createElementNS('http://www.w3.org/2000/svg', 'text');
      t.setAttribute('x', q.x - 20); t.setAttribute('y', q.y + 4); t.textContent = 'over the curve';
      p.parentNode.appendChild(t); }""")
    assert page.evaluate(NO_LABEL_ON_A_CURVE) == ['chart-output: "over the curve" over quadratic']
    w.close()


def test_your_own_cost_trains_next_to_the_built_ins(laptop, server):
    from playwright.sync_api import expect

    page = laptop.page
    page.goto(server)
    page.wait_for_selector("#final-quadratic .final-a")
    page.fill("#own-cost", "(a - y)**4/4")
    page.check("#show-own")
    expected = api(server, w=2, b=2, costs="(a - y)**4/4")["runs"]["(a - y)**4/4"]["a"][300]
    expect(page.locator('[id="final-(a - y)**4/4"] .final-a')).to_have_text(f"{expected:.4f}", timeout=5000)
    expect(page.locator("#final-quadratic .final-a")).to_be_visible()


def test_layers_view_streams_each_layers_speed(laptop, server):
    from playwright.sync_api import expect

    page = laptop.page
    page.goto(server)
    page.click("#tab-layers")
    page.fill("#lay-epochs", "4")
    page.fill("#lay-depth", "3")
    page.click("#lay-start")
    expect(page.locator("#lay-status")).to_contain_text("done in", timeout=30000)
    # one chart per (cost, activation), one line per layer, entry 0 and 4 epochs each
    charts = page.locator("#lay-charts svg")
    assert charts.count() == 4
    svg = "lay-chart-quadratic-sigmoid-svg"
    assert page.get_attribute(f"#{svg}", "data-ylog") == "1"  # a log scale
    for layer in ("hidden 1", "hidden 3", "output"):
        assert page.get_attribute(f"#{svg} path[data-series='{layer}']", "data-n") == "5"
    # the first hidden layer is drawn below the last: it learns slowest (Nielsen's chapter 5)
    first = page.eval_on_selector(f"#{svg} path[data-series='hidden 1']", "p => p.getBBox().y")
    last = page.eval_on_selector(f"#{svg} path[data-series='hidden 3']", "p => p.getBBox().y")
    assert first > last
    page.screenshot(path=ARTIFACTS / "serve-layers.png")


# --------------------------------------------------------------------------- #
# The playground
# --------------------------------------------------------------------------- #

def pg_number(page, name):
    return float(page.inner_text(f"[data-testid=pg-{name}]"))


def forget_restarts(watched):
    """A new run closes the old run's stream, and opening a link again cancels the page's requests (the
    browser calls both failed requests); a setting the server refuses is a 400 (the browser logs it):
    expected here, so not counted as the page's errors."""
    expected = lambda e: (e.startswith("request failed:") and "/api/" in e) or "400 (Bad Request)" in e  # noqa: E731
    watched.errors[:] = [e for e in watched.errors if not expected(e)]


def wait_for_epoch(page, epoch, timeout=30000):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(f"() => document.querySelector('[data-testid=pg-epoch]').textContent === '{epoch}'",
                               timeout=timeout)
    except PlaywrightTimeout:
        pytest.fail(f"epoch {epoch} not reached; the page says: {page.inner_text('#pg-status')!r}, "
                    f"epoch {page.inner_text('[data-testid=pg-epoch]')!r}")


def wait_for_done(page, word="done", timeout=30000):
    """Wait until the run's final event has come: the status line says ``word`` (the last epoch's
    figures can arrive before it)."""
    page.wait_for_function(f"() => document.querySelector('#pg-status').textContent.includes({word!r})",
                           timeout=timeout)


def test_playground_learns_xor_from_a_shared_link(laptop, server):
    page = laptop.page
    page.goto(f"{server}/?tab=playground&data=xor&hidden=4&act=tanh&cost=cross-entropy&eta=0.1&seed=0"
              "&autoplay=1&pace=0&epochs=300")
    page.wait_for_function("() => +document.querySelector('[data-testid=pg-test-accuracy]').textContent >= 0.95",
                           timeout=30000)
    assert pg_number(page, "epoch") < 300 and pg_number(page, "test-cost") < pg_number(page, "train-cost") * 3
    # every neuron drawn: the hidden layer's four pictures and the output's, the weights as lines
    assert page.locator("#pg-net canvas").count() == 5
    assert page.locator("#pg-net line").count() == 2 * 4 + 4
    colours = page.eval_on_selector_all("#pg-net line", "ls => ls.map(l => l.getAttribute('stroke'))")
    assert set(colours) <= {"#1c7ed6", "#e8590c"} and len(set(colours)) == 2
    # the boundary: both classes' colours on the canvas
    blue_red = page.evaluate("""() => { const c = document.querySelector('#pg-heat');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let b = 0, r = 0;
        for (let i = 0; i < d.length; i += 4) { if (d[i + 2] > d[i] + 40) b++; else if (d[i] > d[i + 2] + 40) r++; }
        return [b, r]; }""")
    assert min(blue_red) > 0.2 * sum(blue_red)
    # the boundary exported: an SVG with every point drawn over the picture, and a PNG
    with page.expect_download() as svg:
        page.click("#pg-export-svg")
    text = Path(svg.value.path()).read_text()
    assert text.startswith("<svg") and text.count("<circle") == 500 and "data:image/png;base64," in text
    with page.expect_download() as png:
        page.click("#pg-export-png")
    assert Path(png.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("cost, learns", [("quadratic", False), ("cross-entropy", True)])
def test_a_saturated_sigmoid_network_stalls_under_the_quadratic_cost(laptop, server, cost, learns):
    """The same saturated start (initial weights large), two costs: the curves part."""
    page = laptop.page
    page.goto(f"{server}/?tab=playground&data=circle&hidden=8,8&act=sigmoid&init=large&eta=0.3&seed=3"
              f"&cost={cost}&autoplay=1&pace=0&epochs=40")
    wait_for_epoch(page, 40)
    accuracy, first = pg_number(page, "test-accuracy"), page.evaluate("costlabPlayground.series.testAcc[10]")
    if learns:
        assert accuracy >= 0.95 and first >= 0.6
    else:
        assert accuracy <= 0.8 and first <= 0.6
    # every epoch in the curves (redrawn a few times a second)
    page.wait_for_function("() => document.querySelector('#pg-chart-acc path[data-series=test]')"
                           ".getAttribute('data-n') === '41'", timeout=5000)


def test_the_playground_url_round_trips_every_setting(laptop, server):
    from urllib.parse import parse_qsl

    settings = {"data": "spiral", "n": "300", "noise": "10", "ratio": "60", "seed": "7", "output": "softmax",
                "cost": "log-likelihood(smoothing=0.1)", "init": "large", "eta": "0.05", "batch": "20",
                "l2": "0.001", "momentum": "0.5", "epochs": "2000", "pace": "60", "features": "x1,x2,sinx1,x1x2",
                "hidden": "5,3,2", "act": "tanh,relu,sigmoid", "tab": "playground", "lang": "en"}
    page = laptop.page
    page.goto(f"{server}/?" + "&".join(f"{k}={v}" for k, v in settings.items()))
    wait_for_epoch(page, 0)
    page.wait_for_function("() => document.querySelector('#pg-status').textContent !== ''")
    assert "error" not in page.get_attribute("#pg-status", "class")
    page.click("#tab-neuron")
    page.click("#tab-playground")  # the link is written again
    page.wait_for_function("() => location.search.includes('tab=playground')")
    assert dict(parse_qsl(page.evaluate("location.search")[1:])) == settings
    # a change goes into the link at once; the shared link opens the same controls
    page.click("#pg-layer-add")
    page.wait_for_function("() => new URLSearchParams(location.search).get('hidden') === '5,3,2,4'")
    page.goto(page.url)
    wait_for_epoch(page, 0)
    assert page.input_value("#pg-eta") == "0.05" and page.input_value("#pg-data") == "spiral"
    assert page.locator("#pg-layer-rows select").evaluate_all("s => s.map(e => e.value)") == \
        ["tanh", "relu", "sigmoid", "sigmoid"]
    assert page.locator("#pg-features input:checked").evaluate_all("s => s.map(e => e.value)") == \
        ["x1", "x2", "x1x2", "sinx1"]
    # a value the server refuses: its one-line reason, in the page
    page.goto(f"{server}/?tab=playground&hidden=5,30&act=tanh")
    page.wait_for_function("() => document.querySelector('#pg-status').classList.contains('error')")
    assert "each layer has 1 to 8 neurons" in page.inner_text("#pg-status")
    forget_restarts(laptop)


def test_a_bad_csv_gets_its_message_and_nothing_else_changes(laptop, server):
    page = laptop.page
    page.goto(f"{server}/?tab=playground&data=gauss&epochs=3&pace=0&autoplay=1")
    wait_for_epoch(page, 3)
    wait_for_done(page)
    before = page.evaluate("JSON.stringify(costlabPlayground.data)")
    page.select_option("#pg-data", "csv")
    page.set_input_files("#pg-csv", files=[{"name": "mine.csv", "mimeType": "text/csv",
                                            "buffer": b"x1,x2,label\n1,2,0\n1,1,1\n0.5,x,1\n"}])
    page.wait_for_function("() => document.body.dataset.pgCsv === 'refused'")
    assert "mine.csv" in page.inner_text("#pg-status") and "CSV line 4: not numbers" in page.inner_text("#pg-status")
    assert page.evaluate("JSON.stringify(costlabPlayground.data)") == before and pg_number(page, "epoch") == 3
    good = "x1,x2,label\n" + "\n".join(f"{x:.1f},{x / 2:.1f},{int(x > 0)}" for x in range(-5, 6))
    page.set_input_files("#pg-csv", files=[{"name": "good.csv", "mimeType": "text/csv", "buffer": good.encode()}])
    page.wait_for_function("() => costlabPlayground.data && costlabPlayground.data.train.length + "
                           "costlabPlayground.data.test.length === 11")
    forget_restarts(laptop)


LATIN_ALLOWED = {"tanh", "ReLU", "softmax", "sin", "SVG", "PNG", "CSV", "L2"}


def test_the_chinese_playground_has_no_english_words(browser, server):
    import re

    page = browser.new_page(viewport=LAPTOP)
    page.goto(f"{server}/?tab=playground&lang=zh&data=xor&n=120&noise=10&hidden=3&act=sigmoid&init=large"
              "&cost=quadratic&features=x1sq,x2sq,x1x2&seed=3&eta=0.3&epochs=5&pace=0&autoplay=1")
    wait_for_epoch(page, 5)
    wait_for_done(page, "完成")
    page.wait_for_function("() => document.querySelector('#pg-warnings li')", timeout=5000)  # said in Chinese
    text = page.inner_text("#view-playground") + " " + page.inner_text("nav.tabs")
    words = set(re.findall(r"[A-Za-z][A-Za-z_]+", text)) - LATIN_ALLOWED
    assert words == set(), words
    assert "饱和" in page.inner_text("#pg-warnings") and "完成" in page.inner_text("#pg-status")
    page.close()


def test_screenshots_of_the_playground(browser, server):
    """The playground on a laptop and a phone, in English and in Chinese (copied into docs/screenshots)."""
    link = (f"{server}/?tab=playground&data=spiral&hidden=8,8&act=tanh&features=x1,x2,sinx1,sinx2"
            "&output=softmax&cost=log-likelihood&eta=0.1&epochs=150&pace=0&autoplay=1")
    for lang in ("en", "zh"):
        for name, viewport, extra in (("laptop", LAPTOP, {}), ("phone", PHONE, {"device_scale_factor": 2,
                                                                                  "is_mobile": True,
                                                                                  "has_touch": True})):
            page = browser.new_page(viewport=viewport, **extra)
            page.goto(f"{link}&lang={lang}")
            wait_for_epoch(page, 150)
            wait_for_done(page, "done" if lang == "en" else "完成")
            page.wait_for_timeout(200)
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
            if name == "phone":  # the result first: the boundary on the first screen, the controls after it
                heat = page.evaluate("document.querySelector('#pg-heat').getBoundingClientRect().toJSON()")
                controls = page.evaluate("document.querySelector('#pg-controls').getBoundingClientRect().top")
                assert heat["top"] < viewport["height"] * 0.7 and controls > heat["bottom"]
            page.screenshot(path=ARTIFACTS / f"playground-{name}-{lang}.png")
            page.close()


def test_play_pause_one_epoch_and_clicked_points(laptop, server):
    page = laptop.page
    page.goto(f"{server}/?tab=playground&data=circle&n=100&pace=100&epochs=500")
    wait_for_epoch(page, 0)
    page.wait_for_function("() => costlabPlayground.token")
    page.click("#pg-step")
    wait_for_epoch(page, 1)
    page.click("#pg-step")
    wait_for_epoch(page, 2)
    page.click("#pg-play")  # plays: the epochs run on
    page.wait_for_function("() => +document.querySelector('[data-testid=pg-epoch]').textContent >= 5")
    assert "autoplay=1" in page.evaluate("location.search")
    page.click("#pg-play")  # pauses
    page.wait_for_timeout(400)
    paused = pg_number(page, "epoch")
    page.wait_for_timeout(500)
    assert pg_number(page, "epoch") == paused
    # your points: a click adds one of the chosen class; four or more train
    page.select_option("#pg-data", "points")
    box = page.locator("#pg-heat").bounding_box()
    for i, (fx, fy) in enumerate([(0.2, 0.2), (0.3, 0.25), (0.8, 0.8), (0.7, 0.75), (0.25, 0.3), (0.75, 0.7)]):
        page.check(f"input[name=pg-class][value='{i % 2}']")
        page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
    page.wait_for_function("() => costlabPlayground.data && costlabPlayground.data.train.length"
                           " + costlabPlayground.data.test.length === 6")
    forget_restarts(laptop)


def test_closing_the_page_ends_its_run(browser, server):
    page = browser.new_page(viewport=LAPTOP)
    page.goto(f"{server}/?tab=playground&data=gauss&epochs=5000&pace=200&autoplay=1")
    page.wait_for_function("() => +document.querySelector('[data-testid=pg-epoch]').textContent >= 1")
    page.close()
    # both places for playgrounds are free again within a moment: the closed page's run has ended
    paused = {"data": "gauss", "epochs": "10", "autoplay": "0", "n": "20"}  # each holds its place
    deadline = time.monotonic() + 5
    while True:
        with httpx.stream("POST", f"{server}/api/playground", json=paused, timeout=10) as first, \
                httpx.stream("POST", f"{server}/api/playground", json=paused, timeout=10) as second:
            codes = first.status_code, second.status_code
        if codes == (200, 200) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert codes == (200, 200)


def test_a_link_to_the_playground_opens_it_however_late_its_script_arrives(browser, server):
    """app.js (and its Chinese catalogue) may be ready before playground.js: the link must survive."""
    page = browser.new_page(viewport=LAPTOP)

    def late(route):
        time.sleep(1.0)
        route.continue_()

    page.route("**/static/playground.js", late)
    page.goto(f"{server}/?tab=playground&lang=zh&data=gauss&epochs=2&pace=0&autoplay=1")
    wait_for_epoch(page, 2)
    assert "tab=playground" in page.evaluate("location.search")
    page.close()


# --------------------------------------------------------------------------- #
# The whole page in Chinese
# --------------------------------------------------------------------------- #

# Every text a reader meets on the visible part of the page: text nodes (SVG text included; subscripts and
# code left out), tooltips, labels for screen readers, placeholders, the options of menus and the title.
VISIBLE_TEXT = """() => {
  const out = [document.title];
  const shown = (el) => el && el.checkVisibility && el.checkVisibility();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || !shown(el) || el.closest("sub, sup, code, script, style, datalist")) continue;
    out.push(n.textContent.trim());
  }
  for (const el of document.querySelectorAll("[title], [aria-label], [placeholder], option")) {
    if (el.tagName === "OPTION" ? !shown(el.closest("select")) || el.closest("datalist") : !shown(el)) continue;
    for (const a of ["title", "aria-label", "placeholder"]) if (el.getAttribute(a)) out.push(el.getAttribute(a));
    if (el.tagName === "OPTION") out.push(el.textContent.trim());
  }
  return out;
}"""


def untranslated(page, seen: dict) -> None:
    """Add to ``seen`` (text -> its Latin words) every visible text with a Latin word outside the allow-list."""
    from zhtext import latin_words

    for text in page.evaluate(VISIBLE_TEXT):
        words = latin_words(text)
        if words:
            seen.setdefault(text, words)


def test_every_tab_speaks_chinese_before_while_and_after_training(browser, server):
    """Each tab of the page (found on the page), in Chinese: its controls, charts, legends, tooltips, status
    lines while and after training, and the refusal of a bad value, hold no untranslated word."""
    from playwright.sync_api import expect

    watched = Watched(browser, LAPTOP)
    page, seen = watched.page, {}
    page.goto(f"{server}/?lang=zh")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN", timeout=5000)
    page.wait_for_selector("#final-quadratic .final-a")
    tabs = page.locator("[role=tab]")
    names = [tabs.nth(i).get_attribute("id") for i in range(tabs.count())]
    assert len(names) >= 3
    for name in names:
        page.click(f"#{name}")
        panel = page.locator(f"#{page.get_attribute(f'#{name}', 'aria-controls')}")
        expect(panel).to_be_visible()
        page.wait_for_timeout(300)
        untranslated(page, seen)
        start = panel.locator("button.primary")
        if start.count():  # a training: a few epochs, watched while it runs and after it ends
            for box in panel.locator("input[type=number][id$=epochs]").all():
                box.fill("3")
            start.click()
            deadline = 60
            while deadline and not start.is_enabled():
                untranslated(page, seen)
                page.wait_for_timeout(250)
                deadline -= 1
            expect(start).to_be_enabled(timeout=30000)
            untranslated(page, seen)
        # a value out of range: refused, in Chinese
        box = panel.locator("input[type=number]").first
        box.fill("1e9")
        box.dispatch_event("input")
        box.dispatch_event("change")
        if start.count():
            start.click()
        error = panel.locator(".status.error, .error:visible").first
        try:  # a tab that keeps its values in range itself shows no refusal
            expect(error).to_be_visible(timeout=5000)
        except AssertionError:
            assert not start.count(), f"{name}: a value out of range was not refused"
        else:
            assert re.search(r"[\u4e00-\u9fff]", error.inner_text()), error.inner_text()
        untranslated(page, seen)
    page.screenshot(path=ARTIFACTS / "serve-zh-walk.png", full_page=True)
    # the refusals answer 400, as they should; a stream the page closes itself to start another is no failure
    aborted = lambda e: e.startswith("request failed: ") and e.endswith(("/api/playground", "/api/train", "/api/layers"))  # noqa: E731
    watched.errors = [e for e in watched.errors if "400" not in e and not aborted(e)]
    watched.close()
    assert seen == {}, "untranslated text on the page in Chinese:\n" + "\n".join(f"{w}: {t!r}" for t, w in seen.items())


# Where a line of Chinese text breaks: after a space or punctuation, before an opening bracket, or between two
# elements (a <wbr>, a formula); never between two characters of one run of Han characters.
BREAKS_INSIDE_WORDS = """() => {
  const after = new Set([..." \\u00a0\\u3000，。；：、！？）」』,.;:!?)/"]), before = new Set([..."（「『("]);
  const bad = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el.checkVisibility() || el.closest("svg, script, style, option, input")) continue;
    const text = n.textContent;
    let top = null;
    for (let i = 0; i < text.length; i++) {
      const r = document.createRange();
      r.setStart(n, i); r.setEnd(n, i + 1);
      const rect = r.getClientRects()[0];
      if (!rect || !rect.width) continue;
      if (top !== null && rect.top > top + 2 && i > 0 && !after.has(text[i - 1]) && !before.has(text[i])
          && /[\\u4e00-\\u9fff]/.test(text[i - 1] + text[i])) {
        bad.push(text.slice(Math.max(0, i - 6), i) + "|" + text.slice(i, i + 6));
      }
      top = rect.top;
    }
  }
  return bad;
}"""


def test_chinese_lines_break_between_words_on_a_phone(browser, server):
    from playwright.sync_api import expect

    watched = Watched(browser, PHONE)
    page = watched.page
    page.goto(f"{server}/?lang=zh")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN", timeout=5000)
    page.wait_for_selector("#final-quadratic .final-a")
    tabs = page.locator("[role=tab]")
    broken = []
    for i in range(tabs.count()):
        tabs.nth(i).click()
        page.wait_for_timeout(200)
        broken += page.evaluate(BREAKS_INSIDE_WORDS)
    watched.close()
    assert broken == [], broken
