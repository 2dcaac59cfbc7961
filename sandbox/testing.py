"""Run a real sandbox on a free loopback port inside a test process.

    with running_sandbox(tmp_path / "sandbox.sqlite3") as base_url:
        requests.get(f"{base_url}/api/client/users/me", ...)

The server speaks real HTTP on its own threads, so the code under test cannot tell it from
a sandbox (or Spotzee) running elsewhere. Brands can use it in their own test suites.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

from devserver import KeepAliveHandler

from . import create_app


@contextmanager
def running_sandbox(database: str | Path, *, controls: bool = True, **config: Any) -> Iterator[str]:
    """Serve a sandbox with a fresh database; yield its base URL (no trailing slash)."""
    app = create_app({"DATABASE": str(database), "CONTROLS": controls, **config})
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=KeepAliveHandler)
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="sandbox", daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
