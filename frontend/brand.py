"""The brand's own words, from a small catalogue file (BRAND_CATALOGUE, TOML): for each
subscription type and language a description and an optional "what and how often" line
(and a name, where Spotzee's is in another language), the note on what always arrives, and
the pages' meta description. A language with no entry falls back to the English entry, then
to nothing: a type with no entry shows just its name.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Callable
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


FIELDS = frozenset({"name", "description", "frequency"})


class Catalogue:
    def __init__(self, data: dict[str, Any]) -> None:
        check_shape(data)
        self._data = data

    @classmethod
    def load(cls, path: str | Path) -> Catalogue:
        """The catalogue at `path` (the app's configuration check has read it once); an
        empty one when no path is given."""
        if not path:
            return cls({})
        with Path(path).open("rb") as f:
            return cls(tomllib.load(f))

    # check_shape has made sure of every entry's shape: text, or tables of FIELDS as text.

    def _in(self, entry: dict[str, Any] | None, language: str) -> Any:
        """The entry in `language`, else in English, else None."""
        return None if entry is None else entry.get(language, entry.get("en"))

    def words(self, subscription_id: int, language: str) -> Words:
        entry = self._in(self._data.get("subscriptions", {}).get(str(subscription_id)), language)
        return Words(**entry) if entry else Words()

    def always(self, language: str) -> str | None:
        """What always arrives, whatever the switches say (receipts, security alerts)."""
        return self._in(self._data.get("always"), language)

    def meta_description(self, language: str) -> str | None:
        return self._in(self._data.get("meta"), language)


def check_shape(data: dict[str, Any]) -> None:
    """A ValueError naming the first entry that is not what the catalogue holds, so that a
    mistake stops the app at start rather than failing on every page."""

    def texts(table: Any, where: str, keys: frozenset[str] | None = None) -> None:
        if not isinstance(table, dict):
            raise ValueError(f"{where} must be a table")
        for key, value in table.items():
            if keys is not None and key not in keys:
                raise ValueError(f"{where}.{key} is not one of {', '.join(sorted(keys))}")
            if not isinstance(value, str):
                raise ValueError(f"{where}.{key} must be text")

    for key in data:
        if key not in ("always", "meta", "subscriptions"):
            raise ValueError(f"{key} is not always, meta or subscriptions")
    for key in ("always", "meta"):
        if key in data:
            texts(data[key], key)
    types = data.get("subscriptions", {})
    if not isinstance(types, dict):
        raise ValueError("subscriptions must be a table")
    for type_id, languages in types.items():
        if not (type_id.isascii() and type_id.isdecimal()):
            raise ValueError(f"subscriptions.{type_id}: a subscription type id is a number")
        if not isinstance(languages, dict):
            raise ValueError(f"subscriptions.{type_id} must be a table")
        for language, words in languages.items():
            texts(words, f"subscriptions.{type_id}.{language}", FIELDS)


def init_app(app: Flask) -> None:
    app.extensions["brand"] = Catalogue.load(app.config.get("BRAND_CATALOGUE", ""))
    app.context_processor(lambda: {"brand": page_words()})


def catalogue() -> Catalogue:
    return current_app.extensions["brand"]


def words_for(subscription_id: int) -> Words:
    """What the brand says about this type, in the customer's language."""
    return catalogue().words(subscription_id, str(get_locale()))


def words_by_type() -> Callable[[int], Words]:
    """words_for, with the customer's language looked up once for a whole list."""
    return functools.partial(catalogue().words, language=str(get_locale()))


def page_words() -> dict[str, str | None]:
    """The brand's page-wide words, in the customer's language."""
    language = str(get_locale())
    return {
        "always": catalogue().always(language),
        "meta_description": catalogue().meta_description(language),
    }
