"""Partners, main accounts and sub-accounts: creation, credentials, lookup."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import aliased

from didstore.clock import Clock
from didstore.db.database import Connection, Database
from didstore.db.errors import IntegrityViolation
from didstore.db.queries import (
    ACCOUNT_BY_AUTH_ID,
    ACCOUNT_BY_ID,
    ACCOUNT_BY_PLIVO_ID,
    ACCOUNT_BY_TOKEN,
    ACCOUNT_VIEW,
    LIVE_ACCOUNT,
)
from didstore.db.tables import accounts, numbers, operator_tokens
from didstore.domain.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    NotFound,
    RetryableConflict,
)
from didstore.domain.fields import no_nul
from didstore.domain.ids import hash_token, new_auth_id, new_token, new_uuid, plivo_auth_id
from didstore.domain.lifecycle import OWNED_STATES
from didstore.domain.money import currency, whole_units_to_minor
from didstore.services import audit, events
from didstore.services.ledger import ensure_wallet
from didstore.services.models import Account, Actor, Page
from didstore.services.ttl_cache import TTLCache

KYC_MODES = ("personal_use", "customer_use")
_LOCK_ACCOUNT = (
    select(accounts.c.id).where(accounts.c.id == bindparam("account_id")).with_for_update()
)


@dataclass(frozen=True, slots=True)
class Payer:
    """The main account that pays for an acting account's changes, as locked by a write."""

    id: int
    partner_id: int | None
    aadhaar_verified: bool


async def require_live(conn: Connection, account: Account) -> Payer:
    """Inside a write acting for ``account``: refuse (401) when it, or the main account that
    pays for it, was disabled or deleted after the request authenticated, and keep both rows
    share-locked until the transaction ends, so a concurrent deletion either waits for this
    change or is seen by it (authentication may come from a cache; writes never do)."""
    payer = None
    for account_id in dict.fromkeys((account.id, account.payer_id)):
        found = (await conn.execute(LIVE_ACCOUNT, {"account_id": account_id})).first()
        if found is None:
            raise AuthenticationFailed("account disabled")
        payer = found
    assert payer is not None
    return Payer(int(payer.id), payer.partner_id, bool(payer.aadhaar_verified))


@dataclass(frozen=True, slots=True)
class Credentials:
    account: Account
    auth_token: str  # shown once; only its hash is stored


_holder = aliased(accounts)
#: The numbers whose ``aadhaar_verified`` follows an account's KYC: its own, and those of its
#: ``personal_use`` sub-accounts (spec §10.14), in an owned state.
_KYC_NUMBERS = (
    select(numbers.c.id)
    .join(_holder, _holder.c.id == numbers.c.owner_account_id)
    .where(
        or_(
            _holder.c.id == bindparam("account_id"),
            and_(
                _holder.c.parent_id == bindparam("account_id"),
                _holder.c.kyc_mode == "personal_use",
            ),
        ),
        numbers.c.state.in_([s.value for s in OWNED_STATES]),
    )
    .order_by(numbers.c.e164)
)


def _to_account(row: Any) -> Account:
    m = row._mapping
    return Account.from_row(m, parent_auth_id=m["parent_auth_id"])


def _name(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("name is required", field="name")
    if len(value) > 200:
        raise InvalidInput("name is longer than 200 characters", field="name")
    return no_nul(value.strip(), "name")


#: How long a successful authentication is reused without reading the account row again.
#: Changes made through this process (sub-account update/delete) invalidate at once; a change
#: made by another process (a second worker, the CLI) is seen within this many seconds.
AUTH_CACHE_SECONDS = 5.0


class AccountService:
    def __init__(
        self, db: Database, clock: Clock, *, auth_cache_seconds: float = AUTH_CACHE_SECONDS
    ) -> None:
        self.db = db
        self.clock = clock
        # (auth_id, token hash) -> account; only successful look-ups are cached, so a wrong
        # token always reaches the database and is always refused.
        self._auth_cache: TTLCache[tuple[str, str], Account] = TTLCache(auth_cache_seconds)

    # -- lookup -----------------------------------------------------------------------------
    async def get(self, auth_id: str, conn: Connection | None = None) -> Account:
        params = {"auth_id": auth_id}
        if conn is not None:
            row = (await conn.execute(ACCOUNT_BY_AUTH_ID, params)).first()
        else:
            async with self.db.read() as c:
                row = (await c.execute(ACCOUNT_BY_AUTH_ID, params)).first()
        if row is None:
            raise NotFound(f"account {auth_id} not found")
        return _to_account(row)

    async def exists_named(self, name: str) -> bool:
        """Whether any account has this exact name (``serve --demo`` seeds once)."""
        return await self.find_named(name) is not None

    async def find_named(self, name: str) -> Account | None:
        """The oldest live account with this exact name (the demo's accounts), if any."""
        async with self.db.read() as conn:
            found = await conn.execute(
                select(accounts.c.auth_id)
                .where(accounts.c.name == name, accounts.c.deleted_at.is_(None))
                .order_by(accounts.c.id)
                .limit(1)
            )
        auth_id = found.scalar()
        return None if auth_id is None else await self.get(auth_id)

    async def get_by_id(self, conn: Connection, account_id: int) -> Account:
        row = (await conn.execute(ACCOUNT_BY_ID, {"account_id": account_id})).one()
        return _to_account(row)

    async def authenticate(self, auth_id: str, token: str) -> Account | None:
        """The account whose id and token match, compared in constant time.

        A match is remembered for ``AUTH_CACHE_SECONDS`` under (auth_id, token hash): the
        hot read paths then skip one database round trip per request."""
        token_hash = hash_token(token)
        cached = self._auth_cache.get((auth_id, token_hash))
        if cached is not None:
            return cached
        async with self.db.read() as conn:
            row = (await conn.execute(ACCOUNT_BY_AUTH_ID, {"auth_id": auth_id})).first()
        if row is None:
            return None
        if not hmac.compare_digest(row._mapping["token_hash"], token_hash):
            return None
        account = _to_account(row)
        self._auth_cache.put((auth_id, token_hash), account)
        return account

    async def authenticate_plivo(self, alias: str, token: str) -> Account | None:
        """The account whose Plivo-style alias and token match (the Plivo facade's HTTP Basic
        credentials, ADR 0018). Not cached: the facade is not a hot path, and a disabled
        account is refused at once."""
        token_hash = hash_token(token)
        async with self.db.read() as conn:
            row = (await conn.execute(ACCOUNT_BY_PLIVO_ID, {"plivo_auth_id": alias})).first()
        if row is None:
            return None
        if not hmac.compare_digest(row._mapping["token_hash"], token_hash):
            return None
        return _to_account(row)

    async def get_by_plivo_id(self, alias: str) -> Account:
        async with self.db.read() as conn:
            row = (await conn.execute(ACCOUNT_BY_PLIVO_ID, {"plivo_auth_id": alias})).first()
        if row is None:
            raise NotFound(f"account {alias} not found")
        return _to_account(row)

    def forget(self, auth_id: str) -> None:
        """Drop cached authentications of ``auth_id`` (after its row changed)."""
        self._auth_cache.discard_where(lambda key: key[0] == auth_id)

    async def authenticate_token(self, token: str) -> Account | None:
        """An account's own token used as ``Authorization: Bearer``."""
        async with self.db.read() as conn:
            row = (await conn.execute(ACCOUNT_BY_TOKEN, {"token_hash": hash_token(token)})).first()
        return None if row is None else _to_account(row)

    # -- creation ---------------------------------------------------------------------------
    async def _insert(
        self,
        conn: Connection,
        *,
        prefix: str,
        kind: str,
        name: str,
        currency_code: str,
        email: str = "",
        parent_id: int | None = None,
        partner_id: int | None = None,
        release_fee_minor: int = 0,
        enabled: bool = True,
        kyc_mode: str = "personal_use",
        profile: dict[str, Any] | None = None,
    ) -> tuple[int, str, str]:
        now = self.clock.now()
        token = new_token()
        for _ in range(5):  # ids are random: retry the rare collision
            auth_id = new_auth_id(prefix)
            try:
                async with conn.savepoint():
                    account_id = (
                        await conn.execute(
                            insert(accounts)
                            .values(
                                auth_id=auth_id,
                                plivo_auth_id=plivo_auth_id(auth_id, kind),
                                kind=kind,
                                parent_id=parent_id,
                                partner_id=partner_id,
                                name=name,
                                email=email,
                                currency=currency_code,
                                token_hash=hash_token(token),
                                api_id=new_uuid(),
                                release_fee_minor=release_fee_minor,
                                enabled=enabled,
                                kyc_mode=kyc_mode,
                                aadhaar_verified=False,
                                **(profile or {}),
                                created_at=now,
                                updated_at=now,
                            )
                            .returning(accounts.c.id)
                        )
                    ).scalar_one()
                return int(account_id), auth_id, token
            except IntegrityViolation:
                continue
        raise RetryableConflict("could not allocate a unique account id; try again")

    async def rotate_token(self, actor: Actor, auth_id: str) -> Credentials:
        """Give an account (partner, main or sub-account) a new token; the old one stops
        working at once for writes on every process (writes authenticate against the
        database) and within the authentication cache's seconds for reads elsewhere.
        The new token is returned once; only its hash is stored; the change is audited."""
        token = new_token()
        async with self.db.write() as conn:
            changed = await conn.execute(
                update(accounts)
                .where(accounts.c.auth_id == auth_id, accounts.c.deleted_at.is_(None))
                .values(token_hash=hash_token(token), updated_at=self.clock.now())
            )
            if changed.rowcount != 1:
                raise NotFound(f"account {auth_id} not found")
            account = await self.get(auth_id, conn)
            await audit.record(
                conn,
                actor,
                self.clock.now(),
                action="account.token_rotate",
                entity_type="account",
                entity_id=auth_id,
                account_id=auth_id,
            )
        self.forget(auth_id)
        return Credentials(account, token)

    async def create_partner(
        self, actor: Actor, *, name: object, currency_code: object
    ) -> Credentials:
        cur = currency(currency_code)
        async with self.db.write() as conn:
            account_id, auth_id, token = await self._insert(
                conn, prefix="PA_", kind="partner", name=_name(name), currency_code=cur.code
            )
            await ensure_wallet(conn, account_id, cur.code, self.clock.now())
            await audit.record(
                conn,
                actor,
                self.clock.now(),
                action="partner.create",
                entity_type="account",
                entity_id=auth_id,
                account_id=auth_id,
                after={"name": _name(name), "currency": cur.code},
            )
            account = await self.get_by_id(conn, account_id)
        return Credentials(account, token)

    async def create_main_account(
        self,
        actor: Actor,
        *,
        name: object,
        currency_code: object,
        partner_id: str | None = None,
        release_fee: object = 0,
        email: str = "",
        profile: dict[str, Any] | None = None,
    ) -> Credentials:
        cur = currency(currency_code)
        fee = whole_units_to_minor(
            release_fee if release_fee is not None else 0, cur, "release_fee"
        )
        async with self.db.write() as conn:
            partner_pk = None
            if partner_id:
                partner = await self.get(partner_id, conn)
                if partner.kind != "partner":
                    raise InvalidInput(f"{partner_id} is not a partner", field="partner_id")
                partner_pk = partner.id
            account_id, auth_id, token = await self._insert(
                conn,
                prefix="MA_",
                kind="main",
                name=_name(name),
                currency_code=cur.code,
                email=email,
                partner_id=partner_pk,
                release_fee_minor=fee,
                profile=profile,
            )
            await ensure_wallet(conn, account_id, cur.code, self.clock.now())
            await audit.record(
                conn,
                actor,
                self.clock.now(),
                action="account.create",
                entity_type="account",
                entity_id=auth_id,
                account_id=auth_id,
                after={
                    "name": _name(name),
                    "currency": cur.code,
                    "partner_id": partner_id,
                    "release_fee_minor": fee,
                },
            )
            account = await self.get_by_id(conn, account_id)
        return Credentials(account, token)

    async def set_kyc(self, actor: Actor, account: Account, *, aadhaar_verified: object) -> Account:
        """Record an account's Aadhaar KYC outcome; its numbers (and those of its
        ``personal_use`` sub-accounts) show it as ``aadhaar_verified``."""
        if not isinstance(aadhaar_verified, bool):
            raise InvalidInput("aadhaar_verified must be true or false", field="aadhaar_verified")
        if account.kind == "partner":
            raise InvalidInput("KYC applies to customer accounts, not partners")
        now = self.clock.now()
        async with self.db.write() as conn:
            await conn.execute(
                update(accounts)
                .where(accounts.c.id == account.id)
                .values(aadhaar_verified=aadhaar_verified, updated_at=now)
            )
            await audit.record(
                conn,
                actor,
                now,
                action="account.kyc",
                entity_type="account",
                entity_id=account.auth_id,
                account_id=account.auth_id,
                before={"aadhaar_verified": account.aadhaar_verified},
                after={"aadhaar_verified": aadhaar_verified},
            )
            if aadhaar_verified != account.aadhaar_verified:
                held = await conn.execute(_KYC_NUMBERS, {"account_id": account.id})
                await events.record_numbers(conn, "number.kyc_changed", held.scalars(), now)
            updated = await self.get_by_id(conn, account.id)
        self.forget(account.auth_id)
        return updated

    # -- sub-accounts -----------------------------------------------------------------------
    async def create_sub_account(
        self,
        actor: Actor,
        parent: Account,
        *,
        name: object,
        email: object = None,
        enabled: object = None,
        kyc_mode: object = None,
    ) -> Credentials:
        if parent.kind != "main":
            raise InvalidInput("only a main account can have sub-accounts")
        mode = "personal_use" if kyc_mode is None else kyc_mode
        if mode not in KYC_MODES:
            raise InvalidInput(f"kyc_mode must be one of {', '.join(KYC_MODES)}", field="kyc_mode")
        if email is not None and not isinstance(email, str):
            raise InvalidInput("email must be a string", field="email")
        if mode == "customer_use" and not email:
            raise InvalidInput("email is required when kyc_mode is customer_use", field="email")
        if enabled is not None and not isinstance(enabled, bool):
            raise InvalidInput("enabled must be a boolean", field="enabled")
        async with self.db.write() as conn:
            account_id, auth_id, token = await self._insert(
                conn,
                prefix="SA_",
                kind="sub",
                name=_name(name),
                currency_code=parent.currency,
                email=str(email or ""),
                parent_id=parent.id,
                enabled=True if enabled is None else bool(enabled),
                kyc_mode=str(mode),
            )
            await audit.record(
                conn,
                actor,
                self.clock.now(),
                action="subaccount.create",
                entity_type="account",
                entity_id=auth_id,
                account_id=parent.auth_id,
                after={"name": _name(name), "kyc_mode": mode},
            )
            account = await self.get_by_id(conn, account_id)
        return Credentials(account, token)

    async def get_sub_account(self, parent: Account, sub_auth_id: str) -> Account:
        sub = await self.get(sub_auth_id) if sub_auth_id.startswith("SA_") else None
        if sub is None or sub.parent_id != parent.id or sub.deleted:
            raise NotFound(f"sub-account {sub_auth_id} not found")
        return sub

    async def list_sub_accounts(self, parent: Account, page: int, size: int) -> Page[Account]:
        where = (
            accounts.c.parent_id == parent.id,
            accounts.c.kind == "sub",
            accounts.c.deleted_at.is_(None),
        )
        async with self.db.read() as conn:
            total = (
                await conn.execute(select(func.count()).select_from(accounts).where(*where))
            ).scalar_one()
            rows = (
                await conn.execute(
                    ACCOUNT_VIEW.where(*where)
                    .order_by(accounts.c.id)
                    .limit(size)
                    .offset((page - 1) * size)
                )
            ).all()
        return Page([_to_account(r) for r in rows], page, size, int(total))

    async def update_sub_account(
        self, actor: Actor, parent: Account, sub_auth_id: str, changes: dict[str, Any]
    ) -> Account:
        sub = await self.get_sub_account(parent, sub_auth_id)
        values: dict[str, Any] = {}
        if "name" in changes and changes["name"] is not None:
            values["name"] = _name(changes["name"])
        if changes.get("enabled") is not None:
            if not isinstance(changes["enabled"], bool):
                raise InvalidInput("enabled must be a boolean", field="enabled")
            values["enabled"] = changes["enabled"]
        if changes.get("email") is not None:
            if not isinstance(changes["email"], str):
                raise InvalidInput("email must be a string", field="email")
            values["email"] = changes["email"]
        if changes.get("kyc_mode") is not None:
            if changes["kyc_mode"] not in KYC_MODES:
                raise InvalidInput(f"kyc_mode must be one of {', '.join(KYC_MODES)}")
            values["kyc_mode"] = changes["kyc_mode"]
        if values.get("kyc_mode", sub.kyc_mode) == "customer_use" and not values.get(
            "email", sub.email
        ):
            raise InvalidInput("email is required when kyc_mode is customer_use", field="email")
        if not values:
            return sub
        now = self.clock.now()
        async with self.db.write() as conn:
            await conn.execute(
                update(accounts).where(accounts.c.id == sub.id).values(**values, updated_at=now)
            )
            await audit.record(
                conn,
                actor,
                now,
                action="subaccount.update",
                entity_type="account",
                entity_id=sub.auth_id,
                account_id=parent.auth_id,
                before={k: getattr(sub, k) for k in values},
                after=values,
            )
            updated = await self.get_by_id(conn, sub.id)
        self.forget(sub.auth_id)
        return updated

    async def delete_sub_account(self, actor: Actor, parent: Account, sub_auth_id: str) -> None:
        """A sub-account that still holds numbers cannot be deleted: they would be orphaned."""
        sub = await self.get_sub_account(parent, sub_auth_id)
        now = self.clock.now()
        async with self.db.write() as conn:
            # The row lock orders this against the sub-account's own writes (each holds a
            # shared lock on it, ``require_live``): a purchase either lands first and is
            # counted below, or waits and then finds the sub-account deleted.
            await conn.execute(_LOCK_ACCOUNT, {"account_id": sub.id})
            held = (
                await conn.execute(
                    select(func.count())
                    .select_from(numbers)
                    .where(
                        numbers.c.owner_account_id == sub.id,
                        numbers.c.state.in_([s.value for s in OWNED_STATES]),
                    )
                )
            ).scalar_one()
            if held:
                raise Conflict(
                    f"sub-account {sub.auth_id} still holds {held} number(s); move them back"
                    " to the parent account first"
                )
            await conn.execute(
                update(accounts)
                .where(accounts.c.id == sub.id)
                .values(
                    enabled=False,
                    deleted_at=now,
                    updated_at=now,
                    token_hash=hash_token(new_token()),  # its credentials stop working
                )
            )
            await audit.record(
                conn,
                actor,
                now,
                action="subaccount.delete",
                entity_type="account",
                entity_id=sub.auth_id,
                account_id=parent.auth_id,
            )
        self.forget(sub.auth_id)


class OperatorTokens:
    """The operator token: from DIDSTORE_ADMIN_TOKEN, or generated once and stored hashed."""

    def __init__(self, db: Database, clock: Clock, env_token: str | None) -> None:
        self.db = db
        self.clock = clock
        self.env_token = env_token
        self._verified: TTLCache[str, bool] = TTLCache(AUTH_CACHE_SECONDS)

    async def ensure(self) -> str | None:
        """Create the token on first start; return it (to print) only when newly created."""
        if self.env_token:
            return None
        async with self.db.write() as conn:
            exists = (
                await conn.execute(select(func.count()).select_from(operator_tokens))
            ).scalar_one()
            if exists:
                return None
            token = new_token()
            await conn.execute(
                insert(operator_tokens).values(
                    token_hash=hash_token(token), created_at=self.clock.now()
                )
            )
            return token

    async def verify(self, token: str) -> bool:
        """The env token is an in-memory compare; a stored token is a database read whose
        success is remembered for ``AUTH_CACHE_SECONDS`` under the token's SHA-256 (a wrong
        token is never cached; a token deleted by hand stops working within that time)."""
        if self.env_token:
            return hmac.compare_digest(self.env_token.encode(), token.encode())
        token_hash = hash_token(token)
        if self._verified.get(token_hash) is not None:
            return True
        async with self.db.read() as conn:
            found = (
                await conn.execute(
                    select(operator_tokens.c.id).where(operator_tokens.c.token_hash == token_hash)
                )
            ).first()
        if found is not None:
            self._verified.put(token_hash, True)
        return found is not None
