"""The shapes of the API's request bodies, query parameters and answers, named and typed as in
Spotzee's generated SDK (`types.gen.ts`). Both the sandbox's validation and its OpenAPI
document are derived from these models; nothing else restates them.
"""

from __future__ import annotations

import re
from enum import IntEnum, StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    RootModel,
    Strict,
    StringConstraints,
    Tag,
)
from pydantic.json_schema import SkipJsonSchema

MAX_ITEMS = 100
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")

T = TypeVar("T")


# -- enums ---------------------------------------------------------------------------------


class ErrorCode(StrEnum):
    """Stable, machine-readable error code; safe to switch on."""

    RESOURCE_MISSING = "resource_missing"
    RESOURCE_ALREADY_EXISTS = "resource_already_exists"
    STATE_CONFLICT = "state_conflict"
    PARAMETER_MISSING = "parameter_missing"
    PARAMETER_INVALID_EMPTY = "parameter_invalid_empty"
    PARAMETER_INVALID_FORMAT = "parameter_invalid_format"
    PARAMETER_UNKNOWN = "parameter_unknown"
    VALIDATION_FAILED = "validation_failed"
    AUTHENTICATION_REQUIRED = "authentication_required"
    PERMISSION_DENIED = "permission_denied"
    IDEMPOTENCY_KEY_MISMATCH = "idempotency_key_mismatch"
    IDEMPOTENCY_KEY_INVALID = "idempotency_key_invalid"
    IDEMPOTENCY_IN_PROGRESS = "idempotency_in_progress"
    RATE_LIMITED = "rate_limited"
    VERSION_UNSUPPORTED = "version_unsupported"
    VERSION_REQUIRED = "version_required"
    WEBHOOK_SIGNATURE_INVALID = "webhook_signature_invalid"
    QUOTA_EXCEEDED = "quota_exceeded"
    SERVICE_UNAVAILABLE = "service_unavailable"
    INTERNAL_ERROR = "internal_error"


class SubscriptionChannel(StrEnum):
    """Delivery channel a subscription type covers."""

    EMAIL = "email"
    TEXT = "text"
    PUSH = "push"
    WEBHOOK = "webhook"
    IN_APP = "in_app"


class SubscriptionState(IntEnum):
    """0 unsubscribed, 1 subscribed, 2 explicit double opt-in."""

    UNSUBSCRIBED = 0
    SUBSCRIBED = 1
    OPTED_IN = 2


class PageDirection(StrEnum):
    """Direction to walk relative to `cursor`."""

    NEXT = "next"
    PREV = "prev"


class SortDirection(StrEnum):
    """Sort order."""

    ASC = "asc"
    DESC = "desc"


# -- field types ---------------------------------------------------------------------------


def exactly(kind: type) -> BeforeValidator:
    """Request bodies are validated strictly, but an enum would then want its own instance;
    this takes the JSON value itself, and only of the right JSON type (never `true` for 1)."""

    def check(value: Any) -> Any:
        if type(value) is not kind:
            raise ValueError(f"Input should be a valid {'integer' if kind is int else 'string'}")
        return value

    return BeforeValidator(check)


def no_dot_segment(value: str) -> str:
    if value in (".", ".."):
        raise ValueError("An identifier cannot be '.' or '..': no URL path could name it")
    return value


def email_address(value: str | None) -> str | None:
    if value is not None and not EMAIL.match(value):
        raise ValueError("email must be a valid email address")
    return value


def phone_number(value: str | None) -> str | None:
    """E.164 is preferred; spaces, dashes, dots and brackets are removed, 00 becomes +."""
    if value is None:
        return None
    compact = re.sub(r"[\s().-]", "", value)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not E164.match(compact):
        raise ValueError("phone must be an international number in E.164 form, like +61400123456")
    return compact


def not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("A name cannot be blank")
    return value


Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]
State = Annotated[SubscriptionState, Strict(False), exactly(int)]
Channel = Annotated[SubscriptionChannel, Strict(False), exactly(str)]
# Every per-user endpoint names a user by its external_id in one URL path segment, so an
# identifier must be usable as one: no '/', and not '.' or '..' (clients resolve those away).
Identifier = Annotated[
    str,
    StringConstraints(min_length=1, max_length=255, pattern=r"^[^/]+$"),
    AfterValidator(no_dot_segment),
]
Email = Annotated[str | None, Field(max_length=320), AfterValidator(email_address)]
Phone = Annotated[str | None, Field(max_length=64), AfterValidator(phone_number)]
Timezone = Annotated[str | None, Field(max_length=50)]
Locale = Annotated[str | None, Field(max_length=255)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=255), AfterValidator(not_blank)]
JsonObject = dict[str, Any]
EventName = Annotated[str, StringConstraints(min_length=1)]
Batch = Annotated[list[T], Field(min_length=1, max_length=MAX_ITEMS)]
# An optional field that is never null on the wire: left out when it has no value.
Absent = SkipJsonSchema[None]


class Body(BaseModel):
    """A request body: strict JSON types, unknown fields ignored (additive changes never break
    clients)."""

    model_config = ConfigDict(strict=True, extra="ignore")


def by_identifier(external: str, anonymous: str) -> Discriminator:
    """Pick the variant an item is written in: by `external_id` when it has one, else by
    `anonymous_id`; an item with neither is refused as `parameter_missing`."""

    def pick(item: Any) -> str | None:
        if not isinstance(item, dict) or item.get("external_id") is not None:
            return external
        return anonymous if item.get("anonymous_id") is not None else None

    return Discriminator(
        pick,
        custom_error_type=ErrorCode.PARAMETER_MISSING.value,
        custom_error_message="One of external_id or anonymous_id is required.",
    )


# -- subscription types ---------------------------------------------------------------------


class Subscription(BaseModel):
    """A subscription type: the opt-in a user can subscribe to, on one channel."""

    id: int
    project_id: int
    name: str
    channel: SubscriptionChannel
    is_public: bool = Field(description="Shown on customer-facing preference centres.")
    created_at: str | None
    updated_at: str | None


class SubscriptionList(BaseModel):
    """A page of subscription types."""

    results: list[Subscription]
    nextCursor: str | None  # camelCase: Spotzee's wire name
    prevCursor: str | None
    limit: int


class SubscriptionCreate(Body):
    """A new subscription type."""

    name: Name
    channel: Channel
    is_public: bool = False


class SubscriptionUpdate(Body):
    """A subscription type's new name and visibility; its channel cannot change."""

    name: Name
    is_public: bool


# -- a user's subscription states -------------------------------------------------------------


class UserSubscription(BaseModel):
    """One user's state on one subscription type."""

    subscription_id: int
    state: SubscriptionState
    name: str
    channel: str


class UserSubscriptionList(BaseModel):
    """A page of one user's subscription states."""

    results: list[UserSubscription]
    nextCursor: str | None
    prevCursor: str | None
    limit: int


class UserSubscriptionToggleItem(Body):
    """One state change for one user."""

    subscription_id: Int64
    state: State


class UserSubscriptionToggle(RootModel[Batch[UserSubscriptionToggleItem]]):
    """1 to 100 state changes for one user; the last item for a type wins."""


# -- users -----------------------------------------------------------------------------------


class User(BaseModel):
    """A customer record, identified by `external_id`. A user known only by an anonymous id
    reads with that id as its `external_id` until it is identified."""

    id: int
    project_id: int
    external_id: str
    anonymous_id: str | None = None
    email: str | None = None
    phone: str | None = None
    timezone: str | None = None
    locale: str | None = None
    data: JsonObject = Field(default_factory=dict)
    has_push_device: bool = False
    devices: list[JsonObject] = Field(default_factory=list)
    created_at: str | None
    updated_at: str | None


class UserSessionResponse(BaseModel):
    """A contact session token: bound to one project and one user, 15 minutes, no refresh."""

    token: str
    expires_at: str | None


class UserUpsertByExternalId(Body):
    """Upsert a user identified by `external_id`."""

    anonymous_id: Identifier | None = None
    external_id: Identifier
    email: Email = None
    phone: Phone = None
    timezone: Timezone = None
    locale: Locale = None
    data: JsonObject | None = None


# The same fields in the same order, with anonymous_id required instead of external_id.
class UserUpsertByAnonymousId(UserUpsertByExternalId):
    """Upsert a user identified by `anonymous_id`."""

    anonymous_id: Identifier
    external_id: Identifier | None = None


class UserUpsertItem(
    RootModel[
        Annotated[
            Annotated[UserUpsertByAnonymousId, Tag(UserUpsertByAnonymousId.__name__)]
            | Annotated[UserUpsertByExternalId, Tag(UserUpsertByExternalId.__name__)],
            by_identifier(UserUpsertByExternalId.__name__, UserUpsertByAnonymousId.__name__),
        ]
    ]
):
    """One user upsert: at least one of `anonymous_id` or `external_id`; both link them."""


class UserBatchSyncRequest(RootModel[Batch[UserUpsertItem]]):
    """1 to 100 user upserts; each succeeds or fails on its own."""


class UserBatchItemError(BaseModel):
    """Why one upsert failed."""

    code: ErrorCode
    message: str


class UserBatchResult(BaseModel):
    """One upsert's outcome: exactly one of `user` or `error`."""

    index: int
    external_id: str | None = None
    anonymous_id: str | None = None
    user: User | Absent = None
    error: UserBatchItemError | Absent = None


class UserBatchSyncResponse(BaseModel):
    """Every upsert's outcome, in request order."""

    results: list[UserBatchResult]
    succeeded: int
    failed: int


# -- state changes across users ----------------------------------------------------------------


class SubscriptionBatchToggleItem(Body):
    """One state change for the user named by `external_id` or `anonymous_id`."""

    external_id: Identifier | None = None
    anonymous_id: Identifier | None = None
    subscription_id: Int64
    state: State


class SubscriptionBatchToggleRequest(RootModel[Batch[SubscriptionBatchToggleItem]]):
    """1 to 100 state changes; each succeeds or fails on its own."""


class SubscriptionBatchToggleError(BaseModel):
    """Why one state change failed."""

    code: str
    message: str


class SubscriptionBatchToggleResult(BaseModel):
    """One state change's outcome: `state` when applied, `error` when not."""

    index: int
    external_id: str | None = None
    anonymous_id: str | None = None
    subscription_id: int
    state: SubscriptionState | Absent = None
    error: SubscriptionBatchToggleError | Absent = None


class SubscriptionBatchToggleResponse(BaseModel):
    """Every state change's outcome, in request order."""

    results: list[SubscriptionBatchToggleResult]
    succeeded: int
    failed: int


# -- events ------------------------------------------------------------------------------------


class EventIdentify(Body):
    """Profile fields sent along with an event (accepted, not applied)."""

    email: Email = None
    phone: Phone = None
    timezone: Timezone = None
    locale: Locale = None
    data: JsonObject | None = None


class EventByExternalId(Body):
    """An event attributed to an external id."""

    name: EventName
    anonymous_id: Identifier | None = None
    external_id: Identifier
    data: JsonObject | None = None
    user: EventIdentify | Absent = None
    created_at: str | None = None


# The same fields in the same order, with anonymous_id required instead of external_id.
class EventByAnonymousId(EventByExternalId):
    """An event attributed to an anonymous id."""

    anonymous_id: Identifier
    external_id: Identifier | None = None


class EventInput(
    RootModel[
        Annotated[
            Annotated[EventByAnonymousId, Tag(EventByAnonymousId.__name__)]
            | Annotated[EventByExternalId, Tag(EventByExternalId.__name__)],
            by_identifier(EventByExternalId.__name__, EventByAnonymousId.__name__),
        ]
    ]
):
    """One event: at least one of `anonymous_id` or `external_id`."""


class EventBatch(RootModel[Batch[EventInput]]):
    """1 to 100 events."""


# -- list queries ------------------------------------------------------------------------------


def page_size(value: int | None) -> int | None:
    if value == 0:
        raise ValueError("limit must be an integer from 1 to 100, or -1 for all")
    return value


def sortable(value: str | None) -> str | None:
    if value not in (None, "id", "created_at"):
        raise ValueError("Sorting is supported on `id` and `created_at` only")
    return value


class PageQuery(BaseModel):
    """The query parameters of every list: cursor pagination and free-text search."""

    model_config = ConfigDict(extra="ignore")

    cursor: str | Absent = Field(None, description="Opaque cursor from a previous page.")
    page: PageDirection = PageDirection.NEXT
    limit: Annotated[int | None, Field(ge=-1, le=MAX_ITEMS), AfterValidator(page_size)] = Field(
        25, description="Page size, 1 to 100; -1 for all."
    )
    sort: Annotated[str | Absent, AfterValidator(sortable)] = Field(
        None, description="`id` or `created_at` (the same order: ids are assigned in time)."
    )
    direction: SortDirection = SortDirection.ASC
    q: str | Absent = Field(None, description="Free-text search over name and channel.")


# -- errors ------------------------------------------------------------------------------------


class FieldError(BaseModel):
    """One bad field of a request, named by its path (`[0].state`)."""

    param: str
    code: ErrorCode
    message: str


class ErrorResponse(BaseModel):
    """Spotzee's error envelope (RFC 7807 plus Spotzee's fields), as application/problem+json."""

    status: Literal["error"]
    code: ErrorCode
    title: str | Absent = None
    message: str
    error: str = Field(description="Legacy mirror of `message`.")
    type: str | Absent = None
    request_id: str | Absent = Field(None, description="The answer's X-Request-Id.")
    param: str | Absent = Field(None, description="The one offending parameter, if one.")
    errors: list[FieldError] | Absent = None


# The tags that name a union's variant in an error's location; the client never wrote them.
VARIANTS = frozenset(
    m.__name__
    for m in (
        UserUpsertByAnonymousId,
        UserUpsertByExternalId,
        EventByAnonymousId,
        EventByExternalId,
    )
)
