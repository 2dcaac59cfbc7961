"""`make bench`: measure what the issues promise, print a table, write bench/results.json.

Runs the sandbox and the web app under gunicorn with gunicorn.conf.py (as a brand deploys
it), each on a free port, and measures:

- render_vs_latency_ratio: with 100 ms injected on every sandbox call, the web app's
  server time for GET /preferences divided by 100 ms (goal <= 1.5; the upstream calls run
  together, so the floor is 1).
- toggle_relay_ratio: median time of one switch change through the web app over the
  median of the same PATCH /subscriptions/me (the relay's own headers) sent straight to the
  sandbox, measured alternately (goal <= 2.3: two HTTP hops instead of one, and the
  app's own session, CSRF and render; see docs/PERFORMANCE.md).
- mints_per_expired_burst and idle_hour_mints: in Chromium, with Playwright's clock.
- first_visit_bytes, first_visit_transfer_bytes, first_visit_js_gzip_bytes,
  repeat_visit_bytes: what a browser downloads for the preference page, cold and warm,
  uncompressed and as sent.
- load: 16 concurrent clients changing preferences for 20 s through one app process, then
  through two processes sharing one Redis, then straight against the sandbox, in the same
  run; requests/s, p50, p99, errors, ratio.

Ratios, not absolute times, are what to compare between machines.
"""

from __future__ import annotations

import gzip
import json
import multiprocessing
import os
import platform
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import requests

from sandbox.fixture import DEFAULT_PUBLISHABLE_KEY
from sandbox.testing import SandboxClient
from spotzee import API_VERSION
from spotzee.contact import TOKEN_HEADER
from tooling.browser import launch_options, sign_in
from tooling.devserver import free_port
from tooling.stack import ROOT, Service, redis_server, running

LATENCY_MS = 100
COUNTED = ("document", "stylesheet", "script")
LOAD_SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "20"))
LOAD_CLIENTS = 16
PUSH = 15


# -- the stack ------------------------------------------------------------------------------


def sandbox_service(data: Path) -> Service:
    port = free_port()
    return Service(
        "sandbox",
        "sandbox",
        f"http://127.0.0.1:{port}",
        {"SANDBOX_CONTROLS": "1", "SANDBOX_DATABASE": str(data / "sandbox.sqlite3")},
        # One process (its clock and faults live in memory), many threads, kept-alive.
        [
            "gunicorn",
            *("-w", "1", "-k", "gthread", "--threads", "32"),
            *("-b", f"127.0.0.1:{port}", "--log-level", "warning"),
            "sandbox:create_app()",
        ],
    )


def app_service(name: str, sandbox: Service, data: Path, *, processes: int, **env: str) -> Service:
    """The web app under gunicorn with the settings a brand deploys (gunicorn.conf.py)."""
    port = free_port()
    return Service(
        name,
        "backend",
        f"http://127.0.0.1:{port}",
        {
            "PORT": str(port),
            "WEB_CONCURRENCY": str(processes),
            "SPOTZEE_API_BASE": f"{sandbox.url}/api/client",
            "APP_DATABASE": str(data / "app.sqlite3"),
            "FLASK_SECRET_KEY": "bench-only-secret",
            "DEMO": "1",
            # The load clients sign in and load pages far faster than customers do.
            "MINT_LIMIT": "100000 per minute",
            "SIGN_IN_LIMIT": "100000 per minute",
            **env,
        },
        ["gunicorn", "-c", "gunicorn.conf.py", "--log-level", "warning", "backend:create_app()"],
    )


class Customer:
    """A signed-in browser session, without a browser: cookie, CSRF token, contact token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        login = self.http.get(f"{base}/login", timeout=10).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
        signed = self.http.post(
            f"{base}/login",
            data={"email": "jane@example.com", "password": "demo", "csrf_token": csrf},
            allow_redirects=False,
            timeout=10,
        )
        assert signed.status_code == 303, signed.status_code
        self.refresh()

    def refresh(self) -> requests.Response:
        page = self.http.get(f"{self.base}/preferences", timeout=30)
        text = page.text
        self.csrf = re.search(r'name="csrf-token" content="([^"]+)"', text).group(1)
        self.token = re.search(r'data-token="([^"]+)"', text).group(1)
        return page

    def toggle(self, on: bool) -> requests.Response:
        data = {
            "csrf_token": self.csrf,
            "previous_state": "0" if on else "1",
            "name": "Order updates by push",
        }
        if on:
            data["subscribed"] = "1"
        return self.http.post(
            f"{self.base}/preferences/subscriptions/{PUSH}",
            data=data,
            headers={
                "HX-Request": "true",
                "X-CSRFToken": self.csrf,
                "Authorization": f"Bearer {DEFAULT_PUBLISHABLE_KEY}",
                "X-Spotzee-User-Token": self.token,
            },
            timeout=30,
        )


def direct_toggle(http: requests.Session, api: str, token: str, on: bool) -> requests.Response:
    """The same PATCH the relay sends, with the same headers (its Idempotency-Key makes
    Spotzee record the answer, which a bare PATCH would skip), straight to the sandbox."""
    return http.patch(
        f"{api}/subscriptions/me",
        json=[{"subscription_id": PUSH, "state": int(on)}],
        headers={
            "Authorization": f"Bearer {DEFAULT_PUBLISHABLE_KEY}",
            TOKEN_HEADER: token,
            "Spotzee-Version": API_VERSION,
            "Accept": "application/json",
            "Idempotency-Key": str(uuid.uuid4()),
        },
        timeout=30,
    )


def server_ms(response: requests.Response, metric: str = "app") -> float:
    """A metric of the Server-Timing header: `app` (the whole request) or `spotzee`."""
    for entry in response.headers["Server-Timing"].split(","):
        name, _, duration = entry.strip().partition(";dur=")
        if name == metric:
            return float(duration)
    raise KeyError(metric)


# -- measurements ---------------------------------------------------------------------------


def render_vs_latency(app: Service, control: SandboxClient) -> dict[str, Any]:
    customer = Customer(app.url)  # also warms the subscription-type cache
    control.fault(path="/api/client/", latency_ms=LATENCY_MS, count=10_000)
    try:
        times = [server_ms(customer.refresh()) for _ in range(10)]
    finally:
        control.control("DELETE", "faults")
    median = statistics.median(times)
    return {
        "render_vs_latency_ratio": round(median / LATENCY_MS, 2),
        "render_server_ms_median": round(median, 1),
    }


def toggle_relay(app: Service, sandbox: Service) -> dict[str, Any]:
    """One change through the web app, then the same PATCH straight to the sandbox, in
    turn, so both see the same machine at the same moment."""
    customer = Customer(app.url)
    direct = requests.Session()
    relay_ms, direct_ms, app_server, app_upstream, sandbox_server = [], [], [], [], []
    for i in range(210):
        on = i % 2 == 0
        started = time.perf_counter()
        through_app = customer.toggle(on)
        relay_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        straight = direct_toggle(direct, f"{sandbox.url}/api/client", customer.token, on)
        direct_ms.append((time.perf_counter() - started) * 1000)
        assert through_app.status_code == straight.status_code == 200
        app_server.append(server_ms(through_app))
        app_upstream.append(server_ms(through_app, "spotzee"))
        sandbox_server.append(server_ms(straight))
    median = statistics.median
    relay, direct_median = median(relay_ms[10:]), median(direct_ms[10:])
    return {
        "toggle_relay_ratio": round(relay / direct_median, 2),
        "toggle_relay_ms_median": round(relay, 2),
        "toggle_direct_ms_median": round(direct_median, 2),
        # Where the time goes: each server's own time (the web app's includes its call).
        "toggle_app_server_ms_median": round(median(app_server[10:]), 2),
        "toggle_app_upstream_ms_median": round(median(app_upstream[10:]), 2),
        "toggle_sandbox_server_ms_median": round(median(sandbox_server[10:]), 2),
    }


def browser_figures(app: Service, control: SandboxClient) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    mint_path = "/api/client/users/cust-9f4b21/sessions"

    def mints() -> int:
        return sum(1 for e in control.log() if e["path"] == mint_path)

    results: dict[str, Any] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())

        def signed_in_with_fake_clock() -> tuple[Any, int]:
            """A fresh sandbox and a signed-in page on Playwright's clock; mints so far."""
            control.reset()
            page = browser.new_page()
            page.clock.install()
            sign_in(page, app.url)
            return page, mints()

        page, before = signed_in_with_fake_clock()
        page.clock.fast_forward("16:00")
        control.advance(16 * 60)
        for name in (
            "Weekly newsletter",
            "Product updates",
            "Promotions by SMS",
            "Order updates by push",
            "In-app tips",
        ):
            page.get_by_role("switch", name=name).click()
        page.wait_for_function("() => !document.querySelector('[aria-busy=\"true\"]')")
        results["mints_per_expired_burst"] = mints() - before
        page.close()

        page, before = signed_in_with_fake_clock()
        page.clock.run_for("01:00:00")
        results["idle_hour_mints"] = mints() - before
        page.close()

        results.update(visit_weight(browser, app.url))
        browser.close()
    return results


def visit_weight(browser: Any, base: str) -> dict[str, Any]:
    """Bytes of HTML, CSS and JS a first visit to the preference page downloads (empty
    cache), the JS gzipped, and what a repeat visit downloads."""
    context = browser.new_context()
    login = context.request.get(f"{base}/login").text()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
    context.request.post(
        f"{base}/login",
        max_redirects=0,
        form={"email": "jane@example.com", "password": "demo", "csrf_token": csrf},
    )
    page = context.new_page()
    seen: list[Any] = []
    page.on("requestfinished", lambda request: seen.append(request))
    page.goto(f"{base}/preferences")
    page.wait_for_load_state("load")
    counted = [r for r in seen if r.resource_type in COUNTED]
    bodies = {r.url: (r.resource_type, r.response().body()) for r in counted}
    first = sum(len(body) for _, body in bodies.values())
    # What crossed the wire: compressed where the server compressed it.
    transfer = sum(max(0, r.sizes()["responseBodySize"]) for r in counted)
    js_gzip = sum(len(gzip.compress(body)) for kind, body in bodies.values() if kind == "script")
    seen.clear()
    page.goto(f"{base}/preferences")
    page.wait_for_load_state("load")
    repeated = [r for r in seen if r.resource_type in COUNTED and r.sizes()["responseBodySize"] > 0]
    repeat = sum(r.sizes()["responseBodySize"] for r in repeated)
    only_html = all(r.resource_type == "document" for r in repeated)
    context.close()
    return {
        "first_visit_bytes": first,
        "first_visit_transfer_bytes": transfer,
        "first_visit_js_gzip_bytes": js_gzip,
        "repeat_visit_bytes": repeat,
        "repeat_visit_only_html": only_html,
    }


def load_worker(
    kind: str,
    bases: list[str],
    api: str,
    seconds: float,
    threads: int,
    start_at: float,
    queue: Any,
) -> None:
    """One process of the load client: `threads` customers changing preferences from the
    shared start time (once every client has signed in) for `seconds`."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = start_at + seconds

    def run(number: int) -> None:
        # Clients are spread over the app's addresses, as a load balancer would.
        customer = Customer(bases[number % len(bases)])
        http = requests.Session()
        time.sleep(max(0.0, start_at - time.time()))
        on = True
        mine: list[float] = []
        failed = 0
        while time.time() < deadline:
            started = time.perf_counter()
            try:
                response = (
                    customer.toggle(on)
                    if kind == "app"
                    else direct_toggle(http, api, customer.token, on)
                )
                ok = response.status_code == 200
            except requests.RequestException:
                ok = False
            mine.append((time.perf_counter() - started) * 1000)
            failed += not ok
            on = not on
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    workers = [threading.Thread(target=run, args=(number,)) for number in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    queue.put((latencies, errors[0]))


def load(kind: str, apps: list[Service], sandbox: Service) -> dict[str, Any]:
    # Two client processes of eight threads: one Python process would be limited by its
    # own interpreter lock before the servers are.
    queue: Any = multiprocessing.Queue()
    start_at = time.time() + 5  # time for every client to sign in before the clock starts
    processes = [
        multiprocessing.Process(
            target=load_worker,
            args=(
                kind,
                [app.url for app in apps],
                f"{sandbox.url}/api/client",
                LOAD_SECONDS,
                LOAD_CLIENTS // 2,
                start_at,
                queue,
            ),
        )
        for _ in range(2)
    ]
    for process in processes:
        process.start()
    latencies: list[float] = []
    errors = 0
    for _ in processes:
        part, failed = queue.get()
        latencies.extend(part)
        errors += failed
    for process in processes:
        process.join()
    latencies.sort()
    return {
        "requests_per_second": round(len(latencies) / LOAD_SECONDS, 1),
        "p50_ms": round(latencies[len(latencies) // 2], 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)], 2),
        "errors": errors,
        "requests": len(latencies),
    }


# -- report ---------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.machine(),
    }


def main() -> int:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        sandbox = sandbox_service(data)
        app = app_service("web app", sandbox, data, processes=2)
        with running(sandbox):
            control = SandboxClient(sandbox.url, requests.Session())
            with running(app):
                results.update(render_vs_latency(app, control))
                results.update(toggle_relay(app, sandbox))
                results.update(browser_figures(app, control))
            # Throughput: one app process, then two sharing one Redis (limits, sessions
            # and caches as a scaled-out deployment shares them), then Spotzee alone.
            one = app_service("one process", sandbox, data, processes=1)
            with running(one):
                control.reset()
                single = load("app", [one], sandbox)
                control.reset()
                alone = load("sandbox", [one], sandbox)
            with redis_server(data) as redis_url:
                pair = [
                    app_service(name, sandbox, data, processes=1, REDIS_URL=redis_url)
                    for name in ("first process", "second process")
                ]
                with running(*pair):
                    control.reset()
                    shared = load("app", pair, sandbox)
    results["load"] = {
        "web_app_one_process": single,
        "web_app_two_processes_redis": shared,
        "sandbox_alone": alone,
        "app_to_sandbox_rps_ratio": round(
            shared["requests_per_second"] / alone["requests_per_second"], 2
        ),
        "clients": LOAD_CLIENTS,
        "seconds": LOAD_SECONDS,
    }
    results["machine"] = machine()
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    return 0


GOALS = {
    "render_vs_latency_ratio": ("<= 1.5", lambda v: v <= 1.5),
    "toggle_relay_ratio": ("<= 2.3", lambda v: v <= 2.3),
    "mints_per_expired_burst": ("1", lambda v: v == 1),
    "idle_hour_mints": ("0", lambda v: v == 0),
    # Reported, not a goal since compression (issue 12 set the goal on what is sent).
    "first_visit_bytes": ("", None),
    "first_visit_transfer_bytes": ("< 35000", lambda v: v < 35000),
    "first_visit_js_gzip_bytes": ("< 20000", lambda v: v < 20000),
    "repeat_visit_bytes": ("HTML only", None),  # met: repeat_visit_only_html
}


def table(results: dict[str, Any]) -> str:
    lines = ["| metric | value | goal | met |", "|---|---|---|---|"]
    for name, (goal, check) in GOALS.items():
        value = results[name]
        if not goal:
            lines.append(f"| {name} | {value} | | |")
            continue
        met = results["repeat_visit_only_html"] if check is None else check(value)
        lines.append(f"| {name} | {value} | {goal} | {'yes' if met else 'NO'} |")
    load_result = results["load"]
    for label, key in (
        ("web app, one gunicorn process", "web_app_one_process"),
        ("web app, two gunicorn processes sharing Redis", "web_app_two_processes_redis"),
        ("sandbox alone", "sandbox_alone"),
    ):
        figures = load_result[key]
        lines.append(
            f"| load: {label} | {figures['requests_per_second']} req/s, p50 "
            f"{figures['p50_ms']} ms, p99 {figures['p99_ms']} ms, "
            f"{figures['errors']} errors | 0 errors | "
            f"{'yes' if figures['errors'] == 0 else 'NO'} |"
        )
    lines.append(
        f"| load: web app (two processes) / sandbox req/s | "
        f"{load_result['app_to_sandbox_rps_ratio']} | | |"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
