"""Bulk jobs' rules (ADR 0023): the actions, which of them are destructive, and the
confirmation token a destructive job over many numbers needs.

The token is an HMAC-SHA256, keyed by the server's secret, over a canonical JSON of exactly
what the job would do (account, action, the numbers sorted, the parameters) and the token's
expiry. A token therefore confirms one job: another account, action, number set or parameter
gives another MAC, and so does a changed expiry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from didstore.domain.errors import ConfirmationInvalid, ConfirmationRequired, InvalidInput

ACTIONS = (
    "purchase",
    "release",
    "assign_trunk",
    "attach_application",
    "move",
    "unassign_subaccount",
)
#: actions that take numbers away from their holder: over the threshold they need a token
DESTRUCTIVE = frozenset({"release", "move", "unassign_subaccount"})
JOB_STATES = ("pending", "running", "completed", "cancelled")
ITEM_STATES = ("pending", "succeeded", "failed", "cancelled")


def needs_confirmation(action: str, count: int, threshold: int) -> bool:
    """Whether a job of ``count`` numbers must carry a confirmation token (``threshold`` 0:
    never)."""
    return action in DESTRUCTIVE and threshold > 0 and count > threshold


def canonical(
    account: str, action: str, numbers: Iterable[str], params: Mapping[str, Any]
) -> bytes:
    """The bytes a token is bound to: sorted keys, sorted unique numbers, no whitespace."""
    doc = {
        "account": account,
        "action": action,
        "numbers": sorted(set(numbers)),
        "params": dict(params),
    }
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)


def _mac(key: bytes, payload: bytes, expires: int) -> str:
    digest = hmac.new(key, payload + b"|" + str(expires).encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign(key: bytes, payload: bytes, expires_at: datetime) -> str:
    """``<expiry unix seconds>.<mac>``: a token for ``payload`` (``canonical``) until then."""
    expires = int(expires_at.timestamp())
    return f"{expires}.{_mac(key, payload, expires)}"


def token_expiry(token: str) -> datetime:
    """When a well-formed token stops being accepted."""
    raw, _, _ = token.partition(".")
    return datetime.fromtimestamp(int(raw), UTC)


def verify(key: bytes, payload: bytes, token: object, now: datetime) -> None:
    """Accept ``token`` for ``payload`` at ``now``, or raise: none given
    (``ConfirmationRequired``), malformed, expired or for other parameters
    (``ConfirmationInvalid``)."""
    if token is None or token == "":
        raise ConfirmationRequired(
            "this destructive job needs confirmation: send its dry run (dry_run: true) and "
            "repeat the request with confirm set to the confirm_token it returns"
        )
    if not isinstance(token, str):
        raise ConfirmationInvalid("confirm must be the confirm_token string of a dry run")
    raw, dot, mac = token.partition(".")
    if not dot or not raw.isdigit() or not mac:
        raise ConfirmationInvalid("confirm is not a confirmation token")
    expires = int(raw)
    if not hmac.compare_digest(mac, _mac(key, payload, expires)):
        raise ConfirmationInvalid(
            "the confirmation token was issued for another job (account, action, numbers or "
            "params differ): run the dry run again"
        )
    if now.timestamp() >= expires:
        raise ConfirmationInvalid("the confirmation token has expired: run the dry run again")


def digits(value: object, name: str) -> str | None:
    """A number fragment of a job's ``search`` (digits, ``+`` optional), or None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"search.{name} must be a string of digits", field=name)
    cleaned = value.strip().lstrip("+").replace(" ", "").replace("-", "")
    if cleaned == "":
        return None
    if not cleaned.isdigit() or len(cleaned) > 15:
        raise InvalidInput(f"search.{name} must be up to 15 digits, got {value!r}", field=name)
    return cleaned


def country(value: object) -> str | None:
    """An ISO 3166 alpha-2 code of a job's ``search``, or None."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value.strip()) != 2 or not value.strip().isalpha():
        raise InvalidInput("search.country must be an ISO 3166 alpha-2 code such as IN")
    return value.strip().upper()
