"""Cursor pagination in Spotzee's list shape (results, nextCursor, prevCursor, limit), and the
free-text search `q` that narrows a list before it is paged. The query has already been
checked against `models.PageQuery` by the pipeline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from .errors import ApiError
from .ids import decode_cursor, encode_cursor
from .models import PageDirection, PageQuery, SortDirection

Item = TypeVar("Item", bound=BaseModel)


def page(
    items: Sequence[Item], query: PageQuery, *, key: str = "id", searchable: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Keep the items that match `q` in one of the `searchable` fields, then slice them by the
    query's cursor, page, limit and direction."""
    items = search(items, query.q or "", searchable)
    limit = 25 if query.limit is None else query.limit
    descending = query.direction == SortDirection.DESC
    # Ids are assigned in creation order, so id order is also created_at order.
    ordered = sorted(items, key=lambda item: getattr(item, key), reverse=descending)
    ids = [getattr(item, key) for item in ordered]
    start, stop = 0, len(ordered)
    if query.cursor:
        try:
            boundary = decode_cursor(query.cursor)
        except ValueError:
            raise ApiError(
                "parameter_invalid_format",
                "cursor is not a cursor this API returned.",
                param="cursor",
            ) from None
        beyond = [
            i for i, id_ in enumerate(ids) if (id_ < boundary if descending else id_ > boundary)
        ]
        first_beyond = beyond[0] if beyond else len(ordered)
        if query.page == PageDirection.NEXT:
            start = first_beyond
        else:
            stop = ids.index(boundary) if boundary in ids else first_beyond
    if limit != -1:
        if query.page == PageDirection.PREV and query.cursor:
            start = max(0, stop - limit)
        else:
            stop = min(stop, start + limit)
    results = ordered[start:stop]
    return {
        "results": results,
        "nextCursor": encode_cursor(ids[stop - 1]) if results and stop < len(ordered) else None,
        "prevCursor": encode_cursor(ids[start]) if results and start > 0 else None,
        "limit": limit,
    }


def search(items: Sequence[Item], q: str, fields: tuple[str, ...]) -> Sequence[Item]:
    """Case-insensitive substring match on any of `fields`; an empty `q` keeps everything."""
    needle = q.strip().casefold()
    if not needle:
        return items
    return [
        item
        for item in items
        if any(needle in str(getattr(item, field)).casefold() for field in fields)
    ]
