"""A local stack: the sandbox and the web app as child processes, pointed at each other.

`make demo`, the end-to-end suite, the screenshots and the benchmarks all start one here:
`services()` describes the two, `running()` starts them, waits until both answer, and
stops them afterwards.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import requests

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Service:
    name: str
    module: str
    url: str
    env: dict[str, str]
    # Arguments after `python -m`: the module itself by default (gunicorn for benchmarks).
    arguments: list[str] | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self, *, quiet: bool = False, output: IO[str] | None = None) -> None:
        """Start it; its output goes to ours, nowhere (`quiet`), or to `output`."""
        if output is None and quiet:
            output = subprocess.DEVNULL  # type: ignore[assignment]
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", *(self.arguments or [self.module])],
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=output,
            stderr=output,
        )

    def wait_ready(self, timeout: float = 30) -> None:
        """Poll /healthz; raise RuntimeError with a clear sentence if it never answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with status {self.process.returncode}.")
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer on {self.url} within {timeout:.0f} s.")

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if not self.running():
            return
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        """Stop at once, mid-request, as a crash would (SIGKILL)."""
        if self.running():
            assert self.process is not None
            self.process.kill()
            self.process.wait()


def services(
    *,
    app_port: int,
    sandbox_port: int,
    data: Path | None = None,
    extra_env: dict[str, str] | None = None,
) -> tuple[Service, Service]:
    """The sandbox (with test controls on) and the web app, in demo mode, pointed at it.
    With `data`, both keep their databases in that folder (a fresh stack) and the app has a
    fixed session key."""
    common = {"SANDBOX_CONTROLS": "1", "DEMO": "1", **(extra_env or {})}
    if data is not None:
        common.update(
            {
                "SANDBOX_DATABASE": str(data / "sandbox.sqlite3"),
                "APP_DATABASE": str(data / "app.sqlite3"),
                "FLASK_SECRET_KEY": "local-stack-only",
            }
        )
    sandbox = Service(
        "The Spotzee sandbox",
        "sandbox",
        f"http://127.0.0.1:{sandbox_port}",
        {**common, "SANDBOX_PORT": str(sandbox_port)},
    )
    app = Service(
        "The web app",
        "backend",
        f"http://127.0.0.1:{app_port}",
        {
            **common,
            "PORT": str(app_port),
            "SPOTZEE_API_BASE": f"http://127.0.0.1:{sandbox_port}/api/client",
        },
    )
    return sandbox, app


@contextmanager
def running(*stack: Service, quiet: bool = True) -> Iterator[None]:
    """Start the services in order, each answering before the next starts; stop them all
    (in reverse) however the block ends."""
    started: list[Service] = []
    try:
        for service in stack:
            service.start(quiet=quiet)
            started.append(service)
            service.wait_ready()
        yield
    finally:
        for service in reversed(started):
            service.stop()


@contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """A throwaway redis-server (Debian's) on a free loopback port, keeping nothing on
    disk: yields its URL, stops it afterwards."""
    from tooling.devserver import free_port

    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError(
            "redis-server is needed (Debian/Ubuntu: apt-get install redis-server; "
            "macOS: brew install redis)."
        )
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - Debian's redis-server, our arguments
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
         "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                    probe.sendall(b"PING\r\n")
                    if probe.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not answer on port {port}.") from None
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
