"""`python -m backend`: serve the web app on HOST:PORT (127.0.0.1:5000) with the development
server (production runs it under gunicorn: see gunicorn.conf.py)."""

import os
import sys

from tooling.devserver import port_from_env, serve

from . import create_app
from .config import ConfigurationError

if __name__ == "__main__":
    port = port_from_env(os.environ.get("PORT"), 5000, "PORT")
    try:
        app = create_app()
    except ConfigurationError as error:
        sys.exit(str(error))
    serve(
        app,
        name=f"Preference centre (Spotzee at {app.config['SPOTZEE_API_BASE']})",
        host=os.environ.get("HOST", "127.0.0.1"),
        port=port,
        port_variable="PORT",
    )
