"""The customer-facing preference centre: pages, htmx fragments, and the relay to Spotzee.

Nothing here may import the secret key or anything that reads it; a test proves it.
"""

from flask import Blueprint

bp = Blueprint("frontend", __name__)

from . import views  # noqa: E402,F401 - registers the routes on bp
