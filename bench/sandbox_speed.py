"""How much server time the sandbox spends on GET /users/me (one process, threaded).

Starts `python -m sandbox` as its own process (so the client does not share its interpreter),
reads the sandbox's Server-Timing header over real HTTP on a kept-alive connection, and
prints the median and 99th percentile next to the client's round trip.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import requests

from sandbox.fixture import DEFAULT_PUBLISHABLE_KEY, DEFAULT_SECRET_KEY
from sandbox.testing import running_sandbox

REQUESTS = 2000


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def main() -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_sandbox(Path(tmp) / "s.sqlite3", controls=False) as url,
    ):
        http = requests.Session()
        token = http.post(
            f"{url}/api/client/users/cust-9f4b21/sessions",
            headers={"Authorization": f"Bearer {DEFAULT_SECRET_KEY}"},
            timeout=5,
        ).json()["token"]
        headers = {
            "Authorization": f"Bearer {DEFAULT_PUBLISHABLE_KEY}",
            "X-Spotzee-Contact-Token": token,
        }
        server, client = [], []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            response = http.get(f"{url}/api/client/users/me", headers=headers, timeout=5)
            client.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
            server.append(float(response.headers["Server-Timing"].split("dur=")[1]))
    print(f"GET /users/me x {REQUESTS} (ms)  median   p99")
    print(
        f"  server time (Server-Timing)  {statistics.median(server):6.3f} "
        f"{percentile(server, 0.99):6.3f}"
    )
    print(
        f"  client round trip            {statistics.median(client):6.3f} "
        f"{percentile(client, 0.99):6.3f}"
    )


if __name__ == "__main__":
    main()
