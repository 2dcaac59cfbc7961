"""Cursor pagination in Spotzee's list shape (results, nextCursor, prevCursor, limit), and the
free-text search `q` that narrows a list before it is paged."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .errors import ApiError
from .ids import decode_cursor, encode_cursor

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
SORTABLE = ("id", "created_at")


def invalid(param: str, message: str) -> ApiError:
    return ApiError("parameter_invalid_format", message, param=param)


def page(
    items: Sequence[dict[str, Any]],
    args: Mapping[str, str],
    *,
    key: str = "id",
    searchable: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Keep the items that match `q` in one of the `searchable` fields, then slice them by the
    query's cursor, page, limit, sort and direction."""
    items = search(items, args.get("q", ""), searchable)
    raw_limit = args.get("limit", str(DEFAULT_LIMIT))
    try:
        limit = int(raw_limit)
    except ValueError:
        raise invalid("limit", "limit must be an integer from 1 to 100, or -1 for all.") from None
    if limit != -1 and not 1 <= limit <= MAX_LIMIT:
        raise invalid("limit", "limit must be an integer from 1 to 100, or -1 for all.")
    walk = args.get("page", "next")
    if walk not in ("next", "prev"):
        raise invalid("page", "page must be `next` or `prev`.")
    direction = args.get("direction", "asc")
    if direction not in ("asc", "desc"):
        raise invalid("direction", "direction must be `asc` or `desc`.")
    if args.get("sort", "id") not in SORTABLE:
        raise invalid("sort", "Sorting is supported on `id` and `created_at` only.")

    # Ids are assigned in creation order, so id order is also created_at order.
    ordered = sorted(items, key=lambda item: item[key], reverse=direction == "desc")
    position = {item[key]: index for index, item in enumerate(ordered)}
    start, stop = 0, len(ordered)
    cursor = args.get("cursor")
    if cursor:
        try:
            boundary = decode_cursor(cursor)
        except ValueError:
            raise invalid("cursor", "cursor is not a cursor this API returned.") from None
        after = [i for i, item in enumerate(ordered) if _beyond(item[key], boundary, direction)]
        if walk == "next":
            start = after[0] if after else len(ordered)
        else:
            stop = position.get(boundary, after[0] if after else len(ordered))
    if limit != -1:
        if walk == "prev" and cursor:
            start = max(0, stop - limit)
        else:
            stop = min(stop, start + limit)
    results = ordered[start:stop]
    return {
        "results": results,
        "nextCursor": encode_cursor(results[-1][key]) if results and stop < len(ordered) else None,
        "prevCursor": encode_cursor(results[0][key]) if results and start > 0 else None,
        "limit": limit,
    }


def search(
    items: Sequence[dict[str, Any]], q: str, fields: tuple[str, ...]
) -> Sequence[dict[str, Any]]:
    """Case-insensitive substring match on any of `fields`; an empty `q` keeps everything."""
    needle = q.strip().casefold()
    if not needle:
        return items
    return [
        item for item in items if any(needle in str(item[field]).casefold() for field in fields)
    ]


def _beyond(value: int, boundary: int, direction: str) -> bool:
    return value > boundary if direction == "asc" else value < boundary
