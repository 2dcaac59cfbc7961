"""The customer-facing preference centre: htmx fragments, plain-form fallbacks, and the
relay to Spotzee's browser endpoints.

Nothing here imports the secret key or the code that holds it (`backend`'s Spotzee client
and config); a test proves it. What it may spend is the publishable key, the contact
session token the browser sends, and the minting capability the app hands it.
"""

from flask import Blueprint

bp = Blueprint("frontend", __name__)

from . import views  # noqa: E402,F401 - registers the routes on bp
