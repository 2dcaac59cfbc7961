"""The brand's own words, from a small catalogue file (BRAND_CATALOGUE, TOML): for each
subscription type and language a description and an optional "what and how often" line
(and a name, where Spotzee's is in another language), the note on what always arrives, and
the pages' meta description. Anything missing in a language falls back to English, then to
nothing: a type with no entry shows just its name.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from flask_babel import get_locale


@dataclass(frozen=True)
class Words:
    """What the brand says about one subscription type, in one language."""

    name: str | None = None
    description: str | None = None
    frequency: str | None = None


class Catalogue:
    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    @classmethod
    def load(cls, path: str | Path) -> Catalogue:
        """The catalogue at `path` (the app's configuration check has read it once); an
        empty one when no path is given."""
        if not path:
            return cls({})
        with Path(path).open("rb") as f:
            return cls(tomllib.load(f))

    def _in(self, entry: Any, language: str) -> Any:
        if not isinstance(entry, dict):
            return None
        return entry.get(language, entry.get("en"))

    def words(self, subscription_id: int, language: str) -> Words:
        entry = self._in(self._data.get("subscriptions", {}).get(str(subscription_id)), language)
        if not isinstance(entry, dict):
            return Words()
        return Words(
            *(entry.get(k) if isinstance(entry.get(k), str) else None
              for k in ("name", "description", "frequency"))
        )  # fmt: skip

    def always(self, language: str) -> str | None:
        """What always arrives, whatever the switches say (receipts, security alerts)."""
        text = self._in(self._data.get("always"), language)
        return text if isinstance(text, str) else None

    def meta_description(self, language: str) -> str | None:
        text = self._in(self._data.get("meta"), language)
        return text if isinstance(text, str) else None


def init_app(app: Flask) -> None:
    app.extensions["brand"] = Catalogue.load(app.config.get("BRAND_CATALOGUE", ""))
    app.context_processor(lambda: {"brand": page_words()})


def catalogue() -> Catalogue:
    return current_app.extensions["brand"]


def words_for(subscription_id: int) -> Words:
    """What the brand says about this type, in the customer's language."""
    return catalogue().words(subscription_id, str(get_locale()))


def page_words() -> dict[str, str | None]:
    """The brand's page-wide words, in the customer's language."""
    language = str(get_locale())
    return {
        "always": catalogue().always(language),
        "meta_description": catalogue().meta_description(language),
    }
