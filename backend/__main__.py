"""`python -m backend`: serve the web app on HOST:PORT (127.0.0.1:5000)."""

import os

from tooling.devserver import port_from_env, serve

from . import create_app

if __name__ == "__main__":
    port = port_from_env(os.environ.get("PORT"), 5000, "PORT")
    app = create_app()
    serve(
        app,
        name=f"Preference centre (Spotzee at {app.config['SPOTZEE_API_BASE']})",
        host=os.environ.get("HOST", "127.0.0.1"),
        port=port,
        port_variable="PORT",
    )
