"""The Flask extensions the web app shares across blueprints: CSRF protection and throttling."""

from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
# Tells htmx requests from plain ones (`current_app.htmx`): fragments for the first,
# redirects for the second.
htmx = HTMX()
# Storage comes from RATELIMIT_STORAGE_URI: memory:// for one process, redis:// for several.
limiter = Limiter(key_func=get_remote_address)
