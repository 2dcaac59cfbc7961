"""What the tests share besides fixtures: the demo identities and keys, and small readers of
what the app answers. Imported as `tests.support`; fixtures live in conftest.py."""

from __future__ import annotations

import re

from sandbox.fixture import DEFAULT_PUBLISHABLE_KEY, DEFAULT_SECRET_KEY
from sandbox.testing import SandboxClient as Sandbox

SECRET_KEY = DEFAULT_SECRET_KEY
PUBLISHABLE_KEY = DEFAULT_PUBLISHABLE_KEY
JANE = "cust-9f4b21"
OMAR = "cust-1a3b5c"

__all__ = ["JANE", "OMAR", "PUBLISHABLE_KEY", "SECRET_KEY", "Sandbox", "switch_is_on"]


def switch_is_on(html: str, subscription_id: int) -> bool:
    """Whether the page shows this subscription type's switch as on."""
    found = re.search(rf'<input[^>]*id="switch-{subscription_id}"[^>]*>', html)
    assert found, f"no switch {subscription_id}"
    return " checked" in found.group(0)
