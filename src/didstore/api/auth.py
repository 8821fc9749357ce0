"""Authentication and the account scope of a request.

Rules (spec §1.2): valid ``X-Auth-ID``/``X-Auth-Token`` headers win and any Bearer value is
then ignored (the newer SDK always sends a placeholder one). Without them, ``Authorization:
Bearer`` may carry the operator token or an account's own token, and ``Authorization:
Basic`` an ``auth_id:auth_token`` pair. The ``{auth_id}`` in a path must be the caller, or a
sub-account of the calling main account; the operator may act on any account.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from fastapi import Request

from didstore.api.deps import services
from didstore.domain.errors import AccountMismatch, AuthenticationFailed, Forbidden, NotFound
from didstore.services.models import Account, Actor


@dataclass(frozen=True, slots=True)
class Principal:
    actor: Actor
    account: Account | None  # None for the operator

    @property
    def is_operator(self) -> bool:
        return self.account is None


def _actor(
    request: Request, kind: str, auth_id: str, credential: str, account: Account | None
) -> Actor:
    client = request.client
    return Actor(
        kind=kind,
        auth_id=auth_id,
        credential=credential,
        request_id=getattr(request.state, "request_id", ""),
        source_ip=client.host if client else "",
        account=account,
    )


def _account_principal(request: Request, account: Account, credential: str) -> Principal:
    if not account.enabled or account.deleted:
        raise AuthenticationFailed("account disabled")
    kind = "partner" if account.kind == "partner" else "account"
    return Principal(_actor(request, kind, account.auth_id, credential, account), account)


async def authenticate(request: Request) -> Principal:
    """The one implementation of the authentication rules (module docstring)."""
    state = services(request)
    auth_id = request.headers.get("x-auth-id")
    token = request.headers.get("x-auth-token")
    if auth_id and token:
        account = await state.accounts.authenticate(auth_id.strip(), token.strip())
        if account is None:
            raise AuthenticationFailed("Invalid token")
        return _account_principal(request, account, "x-auth")
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        if await state.operator.verify(value):
            return Principal(_actor(request, "operator", "operator", "admin-token", None), None)
        account = await state.accounts.authenticate_token(value)
        if account is None:
            raise AuthenticationFailed("Invalid token")
        return _account_principal(request, account, "bearer")
    if scheme.lower() == "basic" and value:
        try:
            user, _, secret = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise AuthenticationFailed("Invalid token") from exc
        account = await state.accounts.authenticate(user, secret)
        if account is None:
            raise AuthenticationFailed("Invalid token")
        return _account_principal(request, account, "basic")
    raise AuthenticationFailed("Missing authentication credentials")


def _basic(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        user, _, secret = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, secret


async def authenticate_plivo(request: Request) -> Principal:
    """The Plivo facade's credentials (ADR 0018): HTTP Basic with the account's Plivo-style
    alias (``MA…``/``SA…``, 20 characters) and its usual token. Only the alias is accepted:
    a didstore ``auth_id``, X-Auth headers or a Bearer token are not Plivo credentials."""
    pair = _basic(request.headers.get("authorization", ""))
    if pair is None:
        raise AuthenticationFailed("Missing or malformed HTTP Basic credentials")
    account = await services(request).accounts.authenticate_plivo(*pair)
    if account is None:
        raise AuthenticationFailed("Invalid auth_id or auth_token")
    return _account_principal(request, account, "plivo-basic")


async def require_operator(request: Request) -> Principal:
    principal = await authenticate(request)
    if not principal.is_operator:
        raise Forbidden("operator token required")
    return principal


@dataclass(frozen=True, slots=True)
class Scope:
    """The account a request acts on, and who is acting."""

    actor: Actor
    account: Account


async def account_scope(request: Request, auth_id: str) -> Scope:
    principal = await authenticate(request)
    state = services(request)
    if principal.is_operator:
        try:
            return Scope(principal.actor, await state.accounts.get(auth_id))
        except NotFound:
            raise NotFound(f"account {auth_id} not found") from None
    caller = principal.account
    assert caller is not None
    if caller.kind in ("main", "sub") and auth_id == caller.auth_id:
        return Scope(principal.actor, caller)
    if caller.kind == "main" and auth_id.startswith("SA_"):
        try:
            target = await state.accounts.get(auth_id)
        except NotFound:
            target = None
        if target is not None and target.parent_id == caller.id and not target.deleted:
            return Scope(principal.actor, target)
    raise AccountMismatch("Access denied: account ID mismatch")
