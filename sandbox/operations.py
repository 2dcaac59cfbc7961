"""The table of API operations: each one's method and path, Spotzee's operationId, which keys
may call it, and the models of its body, query and answer. The routes, the pipeline's checks
and the OpenAPI document are all read from it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Blueprint
from pydantic import BaseModel

View = TypeVar("View", bound=Callable[..., Any])

SECRET = frozenset({"secret"})
PUBLIC = frozenset({"public"})
EITHER = frozenset({"secret", "public"})

# OpenAPI path parameters and the Flask rule each becomes.
PATH_PARAMETERS = {"userId": "<user_id>", "subscriptionId": "<int:subscription_id>"}


@dataclass(frozen=True)
class Operation:
    """One endpoint as a client sees it. `body` is the model the pipeline checks the JSON body
    against before the view runs (the view reads it as `g.body`); with `each_item`, only the
    batch's outer shape is checked there and the view takes its items one by one. `answer` is
    the 2xx body's model; None means 204 with no body."""

    method: str
    path: str  # as OpenAPI writes it: /users/{userId}/sessions
    operation_id: str  # the SDK's function name
    summary: str
    scopes: frozenset[str]
    answer: type[BaseModel] | None
    role: str = "support"
    token: bool = False
    body: type[BaseModel] | None = None
    each_item: bool = False
    query: type[BaseModel] | None = None

    @property
    def rule(self) -> str:
        return re.sub(r"\{(\w+)\}", lambda match: PATH_PARAMETERS[match[1]], self.path)


class OperationTable:
    """The operations of one blueprint, in the order they were declared."""

    def __init__(self, blueprint: Blueprint) -> None:
        self.blueprint = blueprint
        self._operations: list[Operation] = []

    def __iter__(self) -> Iterator[Operation]:
        return iter(self._operations)

    def add(self, method: str, path: str, operation_id: str, **details: Any) -> Callable:
        """Declare the decorated view as this operation and route it."""
        operation = Operation(method, path, operation_id, **details)

        def register(view: View) -> View:
            view.operation = operation  # type: ignore[attr-defined]
            self.blueprint.add_url_rule(
                operation.rule, endpoint=view.__name__, view_func=view, methods=[method]
            )
            self._operations.append(operation)
            return view

        return register
