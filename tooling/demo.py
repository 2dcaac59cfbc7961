"""`make demo`: run the sandbox and the web app together until Ctrl-C, then stop both."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tooling.devserver import port_from_env, port_problem
from tooling.stack import Service, services


def main() -> int:
    app_port = port_from_env(os.environ.get("PORT"), 5000, "PORT")
    sandbox_port = port_from_env(os.environ.get("SANDBOX_PORT"), 8025, "SANDBOX_PORT")
    sandbox, app = services(app_port=app_port, sandbox_port=sandbox_port)
    # Both ports first: a busy one is one sentence, before anything starts (a server already
    # on the port would otherwise answer the readiness check and fool the launcher).
    for service, port, variable in (
        (sandbox, sandbox_port, "SANDBOX_PORT"),
        (app, app_port, "PORT"),
    ):
        problem = port_problem(service.name, "127.0.0.1", port, variable)
        if problem:
            print(problem, file=sys.stderr)
            return 1
    running = []
    # Ctrl-C and SIGTERM both end in KeyboardInterrupt, even when started in the background
    # (where a shell would otherwise have SIGINT ignored), and both stop the children.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        for service in (sandbox, app):
            service.start()
            running.append(service)
            service.wait_ready()
        password = os.environ.get("DEMO_PASSWORD") or "demo"
        link = preference_link(app)
        print(
            f"\n  Preference centre: {app.url}/\n"
            f"  Sign in as jane@example.com or omar@example.com, password: {password}\n"
            f"  Or open Jane's preference link, as from an email: {link}\n"
            f"  Spotzee sandbox:   {sandbox.url}/api/client\n"
            f"    what it was asked: {sandbox.url}/_sandbox/requests\n"
            f"    its clock:         {sandbox.url}/_sandbox/clock (sandbox/README.md: faults)\n"
            "  Press Ctrl-C to stop.\n",
            flush=True,
        )
        while all(s.process is not None and s.process.poll() is None for s in running):
            time.sleep(0.5)
        stopped = next(s for s in running if s.process is not None and s.process.poll() is not None)
        print(f"{stopped.name} stopped unexpectedly; stopping the demo.", file=sys.stderr)
        return 1
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
        return 0
    finally:
        for service in reversed(running):
            service.stop()


def preference_link(app: Service) -> str:
    """Jane's link, from the app's own `flask links` command (as a brand's sender would)."""
    printed = subprocess.run(  # noqa: S603 - our own interpreter and app
        [sys.executable, "-m", "flask", "--app", "backend", "links", "jane@example.com",
         "--base-url", app.url],
        env={**os.environ, **app.env},
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    return printed.stdout.partition("Preferences: ")[2].strip() or "(unavailable)"


if __name__ == "__main__":
    sys.exit(main())
