"""A contact's preferences as a test found them, put back afterwards through the app's own
forms: brands run the suite against real contacts, and no test may leave them changed."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from playwright.sync_api import BrowserContext, Page

from .support import PaceRefused, Sandbox

RECEIVES = (1, 2)  # subscribed, and opted in (a confirmed double opt-in)


class PreferencePage:
    """A contact's preference page in a browser context of its own, with JavaScript off, so
    that its forms carry their tokens and post as a plain browser's do."""

    def __init__(self, context: BrowserContext, url: str, open_first: Callable[[Page], None]):
        self.context = context
        self.url = url
        self.page = context.new_page()
        open_first(self.page)

    def states(self) -> dict[int, int]:
        """Spotzee's state of every type on the page, read afresh: each render reads them
        with the secret key. The exact state, so an opted-in type is told from a
        subscribed one."""
        response = self.page.goto(self.url)
        assert response is not None
        if response.status == 429:
            raise PaceRefused(self.url, response.headers.get("retry-after"))
        assert response.ok, f"{self.url} answered {response.status}"
        rows = self.page.locator("#preferences form:has(input[role=switch])").evaluate_all(
            "forms => forms.map(f => [f.querySelector('input[role=switch]').id,"
            " f.querySelector('input[name=previous_state]').value])"
        )
        return {int(i.removeprefix("switch-")): int(state) for i, state in rows}

    def post(self, path: str, fields: list[tuple[str, str]]) -> None:
        """Post a form of the page's (its tokens added) and follow nothing: the page that
        it redirects to is read again by the caller."""
        tokens = self.page.locator("#preferences form.preference").first.evaluate(
            "f => [f.csrf_token.value, f.contact_token.value]"
        )
        body = [("csrf_token", tokens[0]), ("contact_token", tokens[1]), *fields]
        response = self.page.request.post(
            f"{self.url}{path}",
            data=urlencode(body),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Referer": self.url},
            max_redirects=0,
        )
        if response.status == 429:
            raise PaceRefused(f"{self.url}{path}", response.headers.get("retry-after"))
        assert response.status == 303, f"{path} answered {response.status}"

    def set(self, subscription_id: int, on: bool, now: int) -> None:
        """Turn one switch on or off, as its Save button would."""
        fields = [("previous_state", str(now)), ("name", "")]
        self.post(f"/subscriptions/{subscription_id}", fields + ([("subscribed", "1")] * on))

    def opt_in_again(self, subscription_ids: list[int]) -> None:
        """Put back opted-in types (no switch sets that state) as Undo does, from off."""
        fields = []
        for i in subscription_ids:
            fields += [("subscription_id", str(i)), (f"restore_{i}", "2")]
        self.post("/undo", fields)


@dataclass
class AsFound:
    """One contact's preferences as a test found them. Against the suite's own stack there
    is no page (the sandbox is reset before every test instead)."""

    page: PreferencePage | None
    sandbox: Sandbox | None
    # Whose states the sandbox holds, when the suite knows the contact's external_id.
    external_id: str | None
    found: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.page is not None:
            self.found = self.page.states()

    def saved(self) -> dict[int, int]:
        """What Spotzee has now: from the sandbox when the run has one, else from a fresh
        render of the page."""
        if self.sandbox is not None and self.external_id is not None:
            return self.sandbox.states(self.external_id)
        assert self.page is not None
        return self.page.states()

    def one_on_and_one_off(self) -> None:
        """Make sure one type is on and one off: most tests change one, or all of a channel."""
        if self.page is None or len(self.found) < 2:
            return
        first, last = next(iter(self.found)), next(reversed(self.found))
        if not any(state in RECEIVES for state in self.found.values()):
            self.page.set(first, True, now=self.found[first])
        elif all(state in RECEIVES for state in self.found.values()):
            self.page.set(last, False, now=self.found[last])

    def put_back(self) -> None:
        """Switch by switch, each from what it is now to what it was; opted-in types last,
        from off. Each change is one a customer could make, so the consent record stays true."""
        if self.page is None:
            return
        for attempt in range(3):
            try:
                return self.put_back_once()
            except PaceRefused as refused:
                if attempt == 2:
                    raise
                # The suite's one wait: the deployment's limits stopped the suite, but a
                # real contact is still put back once they let it.
                time.sleep(min(refused.retry_after, 120))

    def put_back_once(self) -> None:
        assert self.page is not None
        now = self.page.states()
        changed = [i for i, state in self.found.items() if now.get(i, 0) != state]
        for i in changed:
            if now.get(i, 0) != 0:
                self.page.set(i, False, now=now[i])
            if self.found[i] == 1:
                self.page.set(i, True, now=0)
        opted_in = [i for i in changed if self.found[i] == 2]
        if opted_in:
            self.page.opt_in_again(opted_in)
        if changed:
            assert self.page.states() == self.found, "the preferences were not put back"
