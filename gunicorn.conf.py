"""gunicorn's settings for the preference centre, the ones `make bench` measures:

    gunicorn -c gunicorn.conf.py 'backend:create_app()'

Two worker processes of eight threads each (WEB_CONCURRENCY changes the processes; with
more than one process, set REDIS_URL so that limits and sessions are shared), a graceful
stop, and an access log with no query strings in which nothing a client sends can start a
line of its own.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from gunicorn.glogging import Logger

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = 8
# A request waits on Spotzee for at most PAGE_DEADLINE_SECONDS (5) or a change's read
# timeout and reconciling (10 + 10): 30 s is a hung worker, not a slow answer.
timeout = 30
graceful_timeout = 20
keepalive = 5
# The app decides which proxies to believe (TRUSTED_PROXY_HOPS, werkzeug's ProxyFix);
# gunicorn believes none, so a client can never claim https or another address.
forwarded_allow_ips = ""
accesslog = "-"
# Path, not the URL: query strings can carry what should not be logged.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'


class EscapingLogger(Logger):
    """gunicorn's logger, with request values made fit for a log line: control characters
    written as escapes (a `%0a` in a path is a newline once decoded) and the signed part of
    an email link left out (frontend.errors.printable)."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        from frontend.errors import printable

        atoms = super().atoms(resp, req, environ, request_time)
        return {
            name: printable(value) if isinstance(value, str) else value
            for name, value in atoms.items()
        }


logger_class = EscapingLogger


def on_starting(server: Any) -> None:
    """Refuse to start, in one sentence naming the variable, before any worker boots.
    (gunicorn reads this file whatever it serves; the sandbox has no such settings.)"""
    if not str(getattr(server.app, "app_uri", "")).startswith("backend"):
        return
    from backend.config import ConfigurationError, check_environment

    try:
        check_environment()
    except ConfigurationError as error:
        print(error, file=sys.stderr)
        sys.exit(1)
