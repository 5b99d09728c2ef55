"""The playground in a real headless Chromium: updates drawn per second, and the longest main-thread stall.

Run:  python benchmarks/bench_playground.py [--seconds 10] [--repeats 3] [--chromium /usr/bin/chromium]

`costlab serve`'s application runs in this process (uvicorn in a thread, as background_server does);
Debian's Chromium, driven by Playwright, opens the playground with the network [2, 8, 8, 1] (tanh)
on the circle, at full speed (pace=0) and at the page's default pace (40 ms an epoch), and draws
every update it can: the 64 x 64 boundary, the sixteen hidden neurons' 32 x 32 pictures, the edges, the curves, the layer table and the neuron's picture.
Contenders, interleaved and repeated (points, pace):
  500           n=500, half of them training points (the playground's default)
  1000          n=1000: 500 training points
  pace 0        the server trains as fast as it can; at most 30 updates a second carry the pictures
                (the others the epoch's figures alone, drawn in the curves)
  pace 40       the default: an epoch every 40 ms at least, each one with its pictures
Measured over --seconds after a two-second warm-up:
  updates/s     updates the server sent and the page received (each one JSON-parsed)
  drawn/s       animation frames that drew a new update (the page draws the latest one per frame)
  longest task  the longest main-thread task (PerformanceObserver "longtask": tasks over 50 ms; 0 if none)
  longest gap   the longest time between two animation frames (the page stalled for that long)
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

INIT = """
window.__bench = { longest: 0, tasks: 0, gap: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) { __bench.tasks++; __bench.longest = Math.max(__bench.longest, e.duration); }
}).observe({ type: "longtask", buffered: false });
let __last = performance.now();
requestAnimationFrame(function loop(now) {
  __bench.gap = Math.max(__bench.gap, now - __last);
  __last = now;
  requestAnimationFrame(loop);
});
"""

COUNTERS = """() => ({ updates: +(document.body.dataset.pgUpdates || 0), frames: +(document.body.dataset.pgFrames || 0),
  epoch: +(document.body.dataset.pgEpoch || 0), ...window.__bench })"""


def measure(browser, url, n, pace, seconds):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.add_init_script(INIT)
    page.goto(f"{url}/?tab=playground&data=circle&n={n}&ratio=50&hidden=8,8&act=tanh&cost=cross-entropy"
              f"&eta=0.1&epochs=5000&pace={pace}&autoplay=1")
    page.wait_for_function("() => +(document.body.dataset.pgFrames || 0) > 5", timeout=30000)
    time.sleep(2.0)
    page.evaluate("() => { __bench.longest = 0; __bench.tasks = 0; __bench.gap = 0; }")
    a = page.evaluate(COUNTERS)
    t0 = time.perf_counter()
    time.sleep(seconds)
    b = page.evaluate(COUNTERS)
    dt = time.perf_counter() - t0
    page.close()
    if b["epoch"] >= 5000:
        raise SystemExit("the run reached its last epoch during the measurement: use fewer --seconds")
    return {"updates/s": (b["updates"] - a["updates"]) / dt, "drawn/s": (b["frames"] - a["frames"]) / dt,
            "longest task ms": b["longest"], "longest gap ms": b["gap"], "long tasks": b["tasks"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright
    from threadpoolctl import threadpool_info

    from costlab.web.app import background_server

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    blas = ", ".join(f"{i['internal_api']} {i.get('architecture', '')}".strip() for i in threadpool_info()) or "none"
    contenders = {"500, pace 0": (500, 0), "1000, pace 0": (1000, 0), "500, pace 40": (500, 40),
                  "1000, pace 40": (1000, 40)}
    results = {name: [] for name in contenders}
    with background_server() as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run"])
        print(f"machine: {cpu}; BLAS: {blas}; Chromium {browser.version}; {args.seconds:g} s per measure, "
              f"{args.repeats} repeats")
        for _ in range(args.repeats):
            for name, (n, pace) in contenders.items():
                results[name].append(measure(browser, url, n, pace, args.seconds))
        browser.close()
    keys = ["updates/s", "drawn/s", "longest task ms", "longest gap ms", "long tasks"]
    print(f"{'contender':<14}" + "".join(f"{k:>22}" for k in keys))
    for name, runs in results.items():
        cells = []
        for k in keys:
            values = [r[k] for r in runs]
            cells.append(f"{statistics.median(values):8.1f} ({min(values):.0f}-{max(values):.0f})")
        print(f"{name:<14}" + "".join(f"{c:>22}" for c in cells))
    print("median (min-max) over the repeats")


if __name__ == "__main__":
    main()
