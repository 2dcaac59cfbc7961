"""API keys, roles and contact session tokens.

Keys: `Authorization: Bearer sk_…|pk_…`. A publishable key works only on the endpoints that
allow it; the contact session token is an HS256 JWT that binds one project and one contact.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import jwt

from .errors import ApiError
from .state import Credentials
from .storage import Store, key_digest

ROLES = ("support", "smtpproxy", "editor", "publisher", "admin")
KEY_FORMAT = re.compile(r"^(sk|pk)_[A-Za-z0-9_]{8,200}$")
TOKEN_LIFETIME_SECONDS = 15 * 60
TOKEN_HEADERS = ("X-Spotzee-Contact-Token", "X-Spotzee-User-Token")
ISSUER = "spotzee-sandbox"
# What the token is for: the publishable-key endpoints of one contact. A JWT the sandbox
# signed for anything else (none today) could not be replayed here.
AUDIENCE = "spotzee-sandbox:contact-session"
# How far in the future an `iat` may be. The sandbox mints with its own clock, so only a
# forged or foreign token can be ahead of it; the leeway is the one real issuers allow.
IAT_LEEWAY_SECONDS = 30
INVALID_KEY = "Invalid API key. Please ensure you copied it correctly."


@dataclass(frozen=True)
class Principal:
    """Who is calling: the project and the kind of key."""

    project_id: int
    scope: str  # "secret" or "public"
    role: str
    key_sha256: str
    rate_limit: str | None


def unauthenticated(message: str, param: str | None = None) -> ApiError:
    return ApiError("authentication_required", message, param=param)


def authenticate(store: Store, cache: Credentials, authorization: str | None) -> Principal:
    scheme, _, value = (authorization or "").partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value:
        raise unauthenticated(
            "Missing API key. Send it as `Authorization: Bearer <key>`.", "Authorization"
        )
    if not KEY_FORMAT.match(value):
        raise unauthenticated(INVALID_KEY, "Authorization")
    digest = key_digest(value)
    principal = cache.keys.get(digest)
    if principal is None:
        row = store.api_key(value)
        if row is None:
            # Misses are not remembered: any client can send endlessly many unknown keys, and
            # a cache of them would grow without bound. Only the fixture's keys are cached.
            raise unauthenticated(INVALID_KEY, "Authorization")
        principal = cache.keys[digest] = Principal(
            project_id=row["project_id"],
            scope=row["scope"],
            role=row["role"],
            key_sha256=digest,
            rate_limit=row["rate_limit"],
        )
    return principal


def require(principal: Principal, *, scopes: frozenset[str], role: str) -> None:
    """Refuse a key of the wrong kind (401) or a secret key whose role is too low (403)."""
    if principal.scope not in scopes:
        if principal.scope == "public":
            raise unauthenticated(
                "This endpoint does not accept publishable keys. Call it from your server "
                "with a secret key.",
                "Authorization",
            )
        raise unauthenticated(
            "This endpoint needs a publishable key and a contact session token; "
            "secret keys are refused here.",
            "Authorization",
        )
    if principal.scope == "secret" and ROLES.index(principal.role) < ROLES.index(role):
        raise ApiError(
            "permission_denied",
            f"This API key's role ({principal.role}) cannot do this; it needs {role} or higher.",
        )


def mint(secret: str, project_id: int, contact: Any, now: float) -> tuple[str, int]:
    """Mint a contact session token; return it with its expiry (unix seconds)."""
    issued = int(now)
    expires = issued + TOKEN_LIFETIME_SECONDS
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(contact["id"]),
        "project_id": project_id,
        "external_id": contact["external_id"],
        "iat": issued,
        "exp": expires,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm="HS256"), expires


def presented_token(headers: Any) -> tuple[str, str]:
    """Return (header name, token) from either accepted header name."""
    given = {name: headers.get(name) for name in TOKEN_HEADERS if headers.get(name) is not None}
    if len(set(given.values())) > 1:
        raise ApiError(
            "parameter_invalid_format",
            "X-Spotzee-Contact-Token and X-Spotzee-User-Token carry different tokens; "
            "send one token.",
            param="X-Spotzee-User-Token",
        )
    if not given or not next(iter(given.values())).strip():
        raise unauthenticated(
            "A contact session token is required in X-Spotzee-Contact-Token "
            "(or X-Spotzee-User-Token).",
            TOKEN_HEADERS[0],
        )
    name, token = next(iter(given.items()))
    return name, token.strip()


def signing_secret(store: Store, cache: Credentials) -> str:
    if cache.secret is None:
        cache.secret = store.token_secret()
    return cache.secret


def contact_for_token(
    store: Store, cache: Credentials, principal: Principal, headers: Any, now: float
) -> Any:
    """Verify the token against the sandbox clock and return the contact row it is bound to."""
    header, token = presented_token(headers)
    invalid = unauthenticated("The contact session token is invalid or has expired.", header)
    claims = cache.claims(token) or verified_claims(store, cache, token, invalid)
    if (
        now >= claims["exp"]
        or claims["iat"] > now + IAT_LEEWAY_SECONDS
        or claims["project_id"] != principal.project_id
    ):
        raise invalid
    contact = store.contact_by_id(principal.project_id, int(claims["sub"]))
    if contact is None:
        raise invalid
    return contact


def verified_claims(
    store: Store, cache: Credentials, token: str, invalid: ApiError
) -> dict[str, Any]:
    """Check the signature and the claims as their issuer would, once; the cache then skips
    the HMAC. Expiry and `iat` against now are checked on every request, by the sandbox
    clock (the process clock would ignore the clock control)."""
    try:
        claims = jwt.decode(
            token,
            signing_secret(store, cache),
            algorithms=["HS256"],
            issuer=ISSUER,
            audience=AUDIENCE,
            options={
                "verify_exp": False,
                "verify_iat": False,
                "require": ["iss", "aud", "iat", "exp", "sub", "jti", "project_id"],
            },
        )
    except jwt.PyJWTError as error:
        raise invalid from error
    sub = str(claims["sub"])
    lifetime_as_issued = all(
        type(claims[name]) is int for name in ("iat", "exp", "project_id")
    ) and (claims["exp"] - claims["iat"] == TOKEN_LIFETIME_SECONDS)
    if not lifetime_as_issued or not (sub.isascii() and sub.isdigit() and len(sub) < 19):
        raise invalid
    cache.remember(token, claims)
    return claims
