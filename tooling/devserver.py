"""The small development server behind `python -m backend` and `python -m sandbox`.

It checks the port first so that a busy port gives one clear sentence instead of a
traceback, logs one start-up line with the URL, and stops cleanly on Ctrl-C or SIGTERM.
Production deployments run the web app under gunicorn instead (see the README).
"""

from __future__ import annotations

import errno
import logging
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

log = logging.getLogger("tooling.devserver")


class KeepAliveHandler(WSGIRequestHandler):
    """HTTP/1.1 so that clients (the web app's requests.Session) reuse connections."""

    protocol_version = "HTTP/1.1"


def port_from_env(value: str | None, default: int, variable: str) -> int:
    """Read a TCP port from an environment value, exiting with a clear sentence if it is bad."""
    if value in (None, ""):
        return default
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 0 < port < 65536:
        sys.exit(f"{variable}={value!r} is not a port number (1-65535).")
    return port


def serve(app: Flask, *, name: str, host: str, port: int, port_variable: str) -> None:
    """Serve `app` threaded on host:port until interrupted."""
    # The web app's factory may have configured logging already (see backend.init_logging).
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger().setLevel(logging.INFO)
    # Werkzeug's own access log would duplicate the apps' request logs.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # Werkzeug prints its own advice and exits on a busy port; check first to name the variable.
    problem = port_problem(name, host, port, port_variable)
    if problem:
        sys.exit(problem)
    server = make_server(host, port, app, threaded=True, request_handler=KeepAliveHandler)

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    log.info("%s listening on http://%s:%d", name, host, server.server_port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        # Ctrl-C reaches the whole process group and the launcher then asks again: the
        # second signal must not interrupt the shutdown with a traceback.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        server.server_close()
        log.info("%s stopped", name)


@contextmanager
def in_thread(
    app: Any, *, name: str = "server", request_handler: type[WSGIRequestHandler] = KeepAliveHandler
) -> Iterator[str]:
    """Serve a WSGI app over real HTTP on a free loopback port, on threads of this process
    (for tests); yield its URL (no trailing slash)."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=request_handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def free_port(host: str = "127.0.0.1") -> int:
    """Ask the kernel for a port that is free right now (used by tests and benchmarks)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def port_problem(name: str, host: str, port: int, variable: str) -> str | None:
    """Why `name` could not listen on host:port, in one sentence; None if it can."""
    try:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            return (
                f"{name} cannot start: port {port} on {host} is already in use. "
                f"Stop whatever holds it, or set {variable} to another port."
            )
        return f"{name} cannot listen on {host}:{port}: {error.strerror}."
    return None
