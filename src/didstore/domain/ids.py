"""Identifiers and credentials in the formats the compatible API uses (spec §6, §8)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import string
import uuid

_ALNUM = string.ascii_uppercase + string.digits

ACCOUNT_PREFIXES = ("MA_", "SA_", "PA_")


def new_auth_id(prefix: str) -> str:
    """``MA_``/``SA_``/``PA_`` + 8 uppercase alphanumerics, e.g. ``MA_BN2MZ1VV``."""
    if prefix not in ACCOUNT_PREFIXES:
        raise ValueError(prefix)
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(8))


def new_token() -> str:
    """A high-entropy bearer secret; only its hash is ever stored."""
    return secrets.token_urlsafe(30)


def hash_token(token: str) -> str:
    """SHA-256 is enough for 240-bit random tokens: no dictionary to slow down."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_uuid() -> str:
    return str(uuid.uuid4())


def new_app_id() -> str:
    """A 17-digit numeric application id, as Vobiz issues them."""
    return str(secrets.randbelow(9 * 10**16) + 10**16)


def plivo_auth_id(auth_id: str, kind: str) -> str:
    """The 20-character Plivo-style alias of an account (ADR 0018): ``SA`` for a sub-account,
    ``MA`` for a main account or a partner, then 18 characters of ``[A-Z2-7]`` taken from a
    SHA-256 of the didstore ``auth_id``. Deterministic, so the migration that backfills
    existing accounts and the code that creates new ones agree; stored under a unique key."""
    prefix = "SA" if kind == "sub" else "MA"
    digest = base64.b32encode(hashlib.sha256(f"didstore-plivo:{auth_id}".encode()).digest())
    return prefix + digest.decode("ascii")[:18]
