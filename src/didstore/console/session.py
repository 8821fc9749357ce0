"""The console's session and CSRF token: one signed, timestamped cookie (itsdangerous).

No session middleware: only console routes read or write the cookie, so the API's request
path never pays for it (ADR 0019). The cookie names who signed in (role and auth ID, never a
token) and a random CSRF token that every form echoes back; it is HttpOnly, SameSite=Lax,
scoped to ``/console`` and Secure when the request came over HTTPS. A visitor who has not
signed in gets an anonymous session too, so the sign-in form itself carries a CSRF token.
Flash messages travel in a second signed cookie that the next page reads and clears.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "didstore_console"
FLASH_COOKIE = "didstore_console_flash"
PATH = "/console"
#: a session lasts this long after sign-in, whatever happens in between
MAX_AGE_SECONDS = 8 * 3600
FLASH_MAX_AGE_SECONDS = 120

ROLES = ("customer", "partner", "operator")


@dataclass(frozen=True, slots=True)
class Session:
    csrf: str
    role: str | None = None  # None: not signed in
    auth_id: str = ""
    kind: str = ""  # the account's kind (main, sub, partner), for the navigation only
    token: str = ""  # a keyed fingerprint of the token signed in with (``Sessions.fingerprint``)

    @property
    def signed_in(self) -> bool:
        return self.role is not None


@dataclass(frozen=True, slots=True)
class Flash:
    message: str
    kind: str = "ok"  # ok | error


class Sessions:
    """Signs and reads the console's cookies with one key (``Settings.console_secret``)."""

    def __init__(self, secret: str | None) -> None:
        key = secret or secrets.token_urlsafe(32)
        self._key = key.encode()
        self._session = URLSafeTimedSerializer(key, salt="didstore.console.session")
        self._flash = URLSafeTimedSerializer(key, salt="didstore.console.flash")

    def read(self, request: Request) -> Session | None:
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            data = self._session.loads(raw, max_age=MAX_AGE_SECONDS)
        except BadSignature:  # also SignatureExpired
            return None
        if not isinstance(data, dict) or not isinstance(data.get("c"), str):
            return None
        role = data.get("r")
        if role is not None and role not in ROLES:
            return None
        return Session(
            csrf=data["c"],
            role=role,
            auth_id=str(data.get("a", "")),
            kind=str(data.get("k", "")),
            token=str(data.get("t", "")),
        )

    def write(self, request: Request, response: Response, session: Session) -> None:
        value = self._session.dumps(
            {
                "c": session.csrf,
                "r": session.role,
                "a": session.auth_id,
                "k": session.kind,
                "t": session.token,
            }
        )
        _set(request, response, COOKIE, value, MAX_AGE_SECONDS)

    @staticmethod
    def new(role: str | None = None, auth_id: str = "", kind: str = "", token: str = "") -> Session:
        """A fresh session with a new CSRF token (sign-in rotates it)."""
        return Session(
            csrf=secrets.token_urlsafe(24), role=role, auth_id=auth_id, kind=kind, token=token
        )

    def fingerprint(self, token_hash: str) -> str:
        """What a session keeps of the token it was opened with: a keyed digest of the
        token's stored hash, so a rotated token ends the session and the cookie reveals
        nothing about the token."""
        return hmac.new(self._key, token_hash.encode(), hashlib.sha256).hexdigest()[:32]

    @staticmethod
    def clear(response: Response) -> None:
        response.delete_cookie(COOKIE, path=PATH)

    # -- flash ------------------------------------------------------------------------------
    def flash(self, request: Request, response: Response, message: str, kind: str = "ok") -> None:
        value = self._flash.dumps({"m": message, "k": kind})
        _set(request, response, FLASH_COOKIE, value, FLASH_MAX_AGE_SECONDS)

    def take_flash(self, request: Request) -> Flash | None:
        raw = request.cookies.get(FLASH_COOKIE)
        if not raw:
            return None
        try:
            data = self._flash.loads(raw, max_age=FLASH_MAX_AGE_SECONDS)
        except BadSignature:
            return None
        if not isinstance(data, dict):
            return None
        return Flash(str(data.get("m", "")), "error" if data.get("k") == "error" else "ok")


def csrf_ok(session: Session | None, submitted: object) -> bool:
    """The form's token matches the session's (constant-time)."""
    if session is None or not isinstance(submitted, str) or not submitted:
        return False
    return hmac.compare_digest(session.csrf.encode(), submitted.encode())


def _set(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
