"""Benchmark: the console's topology page drawn in headless Chromium (issue 15: 1,000
instances in under 1 s).

Two servers on loopback: the seed scenario (6 instances, the baseline: what loading the
page, its libraries and a graph costs at all) and a large world (``--instances``, default
1,000, built in-process by ``tests/console/topology_world.py``). Each page is loaded
``--runs`` times alternately in one browser; the figure is the page's own
``window.topologyRenderedMs`` (navigation start to the first frame holding every node),
with its parts (``window.topologyTimings``). Prints one JSON line: the medians and their
ratio, large over seed — the ratio is what a loaded machine disturbs least.

Needs Debian's ``chromium`` and ``chromium-driver``. Run:
``.venv/bin/python bench/console_topology.py [--instances N] [--runs R]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))

from console.topology_world import build_large_world  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from stockade.api.app import serving  # noqa: E402
from stockade.console.app import create_server_app  # noqa: E402
from stockade.demo.seed import build_seed  # noqa: E402
from stockade.service.context import ServiceContext  # noqa: E402
from stockade.store.sql import SqlStore  # noqa: E402


def _browser() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))


def _render(driver: webdriver.Chrome, url: str) -> dict:
    driver.get(url)
    WebDriverWait(driver, 120).until(
        lambda d: d.execute_script("return window.topologyRenderedMs || window.topologyError")
    )
    timings: dict = driver.execute_script("return window.topologyTimings")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="stockade-bench-console-") as tmp:
        seed_store = SqlStore.open(str(Path(tmp) / "seed.db"))
        build_seed(ServiceContext(seed_store))
        large_store = SqlStore.open(str(Path(tmp) / "large.db"))
        build_large_world(large_store, args.instances)
        driver = _browser()
        try:
            with (
                serving(create_server_app(seed_store)) as seed_url,
                serving(create_server_app(large_store)) as large_url,
            ):
                runs: dict[str, list[dict]] = {"seed": [], "large": []}
                for _ in range(args.runs):
                    runs["seed"].append(_render(driver, f"{seed_url}/console/topology"))
                    runs["large"].append(_render(driver, f"{large_url}/console/topology"))
        finally:
            driver.quit()
            seed_store.close()
            large_store.close()
    medians = {
        name: {part: statistics.median(r[part] for r in found) for part in found[0]}
        for name, found in runs.items()
    }
    # one JSON line, as every bench prints: the case, its unit, stockade's figure and the
    # baseline of the same run (the seed's page: what loading the console costs at all)
    print(
        json.dumps(
            {
                "case": f"console topology, {args.instances} instances",
                "unit": "ms to the first frame with every node (median)",
                "stockade": medians["large"]["total"],
                "baseline": medians["seed"]["total"],
                "ratio": round(medians["large"]["total"] / medians["seed"]["total"], 2),
                "target_ms": 1000,
                "runs": args.runs,
                "parts_ms": medians["large"],
                "baseline_parts_ms": medians["seed"],
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
