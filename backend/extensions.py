"""The Flask extensions the web app shares: sign-in, CSRF protection, throttling, htmx."""

from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
# Tells htmx requests from plain ones (`current_app.htmx`): fragments for the first,
# redirects and pages for the second.
htmx = HTMX()
# Storage comes from RATELIMIT_STORAGE_URI: memory:// for one process, redis:// for several.
limiter = Limiter(key_func=get_remote_address)
# Who is signed in: `current_user` and `login_required`, for the backend and the frontend.
login_manager = LoginManager()
