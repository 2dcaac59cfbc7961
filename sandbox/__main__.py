"""`python -m sandbox`: serve the sandbox on SANDBOX_HOST:SANDBOX_PORT (127.0.0.1:8025)."""

import os

from dotenv import load_dotenv

from tooling.devserver import port_from_env, serve

from . import create_app

if __name__ == "__main__":
    load_dotenv(override=False)  # the same .env as the web app, so their keys agree
    port = port_from_env(os.environ.get("SANDBOX_PORT"), 8025, "SANDBOX_PORT")
    app = create_app()
    controls = "on" if app.config["CONTROLS"] else "off"
    serve(
        app,
        name=f"Spotzee sandbox (test controls {controls})",
        host=os.environ.get("SANDBOX_HOST", "127.0.0.1"),
        port=port,
        port_variable="SANDBOX_PORT",
    )
