"""Account-side resources: phone numbers (the seed's method names and signatures), trunks,
applications, sub-accounts, balance, transactions and the caller's profile.

Every number argument accepts ``+919876543210``, ``919876543210`` or ``%2B919876543210``;
bodies get ``+E164`` and paths ``%2B``-encoded digits (numbers spec §2).
"""

from __future__ import annotations

from typing import Any, BinaryIO

from didstore.client import numbers as nf
from didstore.client._async.pager import AsyncPager
from didstore.client._async.runner import Resource
from didstore.client.core import Operation
from didstore.client.models import (
    AccountProfile,
    Ack,
    Application,
    ApplicationAttachment,
    ApplicationWrite,
    Balance,
    CancelReleaseResult,
    InventoryNumber,
    NumberHealth,
    NumberLock,
    PhoneNumber,
    PurchaseResult,
    ReleaseResult,
    Reservation,
    ReservationPurchase,
    SubAccount,
    SubAccountCreated,
    Transaction,
    Trunk,
)
from didstore.client.ops import (
    account,
    ack,
    body,
    model,
    models,
    number_path,
    offset_list,
    offset_paged,
    page_list,
    paged,
    seg,
)


class PhoneNumbers(Resource):
    """Inventory search, purchase, listing, release and routing of numbers."""

    def list_inventory_numbers(
        self,
        auth_id: str,
        country: str | None = None,
        search: str | None = None,
        exclude: str | list[str] | None = None,
        page: int | None = None,
        per_page: int | None = None,
    ) -> AsyncPager[InventoryNumber]:
        """Numbers in stock; ``exclude`` drops E.164 prefixes (``"9180"`` or a list)."""
        excluded = [exclude] if isinstance(exclude, str) else list(exclude or [])
        params = {
            "country": country,
            "search": nf.search_form(search) if search else None,
            "exclude": [nf.search_form(p) for p in excluded] or None,
        }
        path = f"{account(auth_id)}/inventory/numbers"
        return self._c.paginate(
            page_list(path, paged(InventoryNumber, "items"), params, page=page, per_page=per_page)
        )

    async def purchase_from_inventory(
        self, auth_id: str, e164: str, currency: str | None = None
    ) -> PurchaseResult:
        """Buy a number: debits ``setup_fee + monthly_fee`` once (retries reuse one
        Idempotency-Key). Raises :class:`InsufficientBalanceError` when the wallet is short."""
        path = f"{account(auth_id)}/numbers/purchase-from-inventory"
        payload = body(e164=nf.body_form(e164), currency=currency)
        return await self._c.request(Operation("POST", path, model(PurchaseResult), json=payload))

    def list_numbers(
        self,
        auth_id: str,
        limit: int | None = None,
        offset: int | None = None,
        page: int | None = None,
        per_page: int | None = None,
        search: str | None = None,
    ) -> AsyncPager[PhoneNumber]:
        """Owned numbers (a main account's list includes its sub-accounts' numbers)."""
        params = {"search": nf.search_form(search) if search else None}
        path = f"{account(auth_id)}/numbers"
        op = page_list(
            path,
            paged(PhoneNumber, "items"),
            params,
            page=page,
            per_page=per_page,
            limit=limit,
            offset=offset,
        )
        return self._c.paginate(op)

    async def export_numbers_csv(
        self,
        auth_id: str,
        out: BinaryIO,
        search: str | None = None,
        include_subaccounts: bool | None = None,
    ) -> int:
        """Every owned number (the :meth:`list_numbers` list, whole) as CSV, streamed into
        the binary file ``out``; returns the bytes written. Columns: docs/api.md."""
        params = {
            "search": nf.search_form(search) if search else None,
            "include_subaccounts": include_subaccounts,
        }
        return await self._c.download(f"{account(auth_id)}/numbers", out, params)

    async def get_number(self, auth_id: str, e164: str) -> PhoneNumber:
        """One owned number, exactly as :meth:`list_numbers` shows it
        (``GET …/numbers/{e164}``). Raises :class:`NotFoundError` when the account does not
        hold it (in stock, another account's, released)."""
        op = Operation("GET", number_path(auth_id, e164), model(PhoneNumber))
        return await self._c.request(op)

    async def lock_number(self, auth_id: str, e164: str) -> NumberLock:
        """Set the deletion lock: release and moves answer 409 ``number_locked`` until
        :meth:`unlock_number`."""
        path = f"{number_path(auth_id, e164)}/lock"
        return await self._c.request(Operation("POST", path, model(NumberLock)))

    async def unlock_number(self, auth_id: str, e164: str) -> NumberLock:
        """Lift the deletion lock (one the operator set needs the operator token)."""
        path = f"{number_path(auth_id, e164)}/lock"
        return await self._c.request(Operation("DELETE", path, model(NumberLock)))

    async def get_number_lock(self, auth_id: str, e164: str) -> NumberLock:
        path = f"{number_path(auth_id, e164)}/lock"
        return await self._c.request(Operation("GET", path, model(NumberLock)))

    # -- reservations (ADR 0022) ----------------------------------------------------------
    async def reserve_numbers(
        self, auth_id: str, numbers: list[str], ttl_seconds: int | None = None
    ) -> Reservation:
        """Hold available numbers (all or none; default 15 minutes). Nobody else can buy or
        hold them until the reservation is bought, cancelled or expires. Raises
        :class:`ConflictError` (``numbers_unavailable``, ``body["numbers"]`` lists the
        refused ones) when one cannot be held."""
        path = f"{account(auth_id)}/numbers/reservations"
        payload = body(numbers=[nf.body_form(n) for n in numbers], ttl_seconds=ttl_seconds)
        return await self._c.request(Operation("POST", path, model(Reservation), json=payload))

    def list_reservations(
        self,
        auth_id: str,
        status: str | None = None,
        page: int | None = None,
        per_page: int | None = None,
    ) -> AsyncPager[Reservation]:
        """The account's reservations, newest first (``status``: active, expired, cancelled
        or purchased)."""
        path = f"{account(auth_id)}/numbers/reservations"
        op = page_list(
            path, paged(Reservation, "items"), {"status": status}, page=page, per_page=per_page
        )
        return self._c.paginate(op)

    async def get_reservation(self, auth_id: str, reservation_id: str) -> Reservation:
        path = f"{account(auth_id)}/numbers/reservations/{seg(reservation_id)}"
        return await self._c.request(Operation("GET", path, model(Reservation)))

    async def extend_reservation(
        self, auth_id: str, reservation_id: str, ttl_seconds: int
    ) -> Reservation:
        """Hold the numbers until ``ttl_seconds`` from now."""
        path = f"{account(auth_id)}/numbers/reservations/{seg(reservation_id)}/extend"
        payload = body(ttl_seconds=ttl_seconds)
        return await self._c.request(Operation("POST", path, model(Reservation), json=payload))

    async def cancel_reservation(self, auth_id: str, reservation_id: str) -> Reservation:
        """Give the numbers back at once."""
        path = f"{account(auth_id)}/numbers/reservations/{seg(reservation_id)}"
        return await self._c.request(Operation("DELETE", path, model(Reservation)))

    async def purchase_reservation(self, auth_id: str, reservation_id: str) -> ReservationPurchase:
        """Buy every number the reservation holds, in one transaction (nothing is bought if
        the wallet cannot pay for all: :class:`InsufficientBalanceError`)."""
        path = f"{account(auth_id)}/numbers/reservations/{seg(reservation_id)}/purchase"
        return await self._c.request(Operation("POST", path, model(ReservationPurchase)))

    async def unrent_number(
        self, auth_id: str, e164: str, immediate: bool | None = None
    ) -> ReleaseResult:
        """Release a number: ``pending_release`` for 24 h (cancellable, fee refunded on
        cancel) unless ``immediate``."""
        params = {"immediate": immediate} if immediate is not None else None
        op = Operation("DELETE", number_path(auth_id, e164), model(ReleaseResult), params=params)
        return await self._c.request(op)

    async def quote_number_release(
        self, auth_id: str, e164: str, immediate: bool | None = None
    ) -> ReleaseResult:
        """What ``unrent_number`` would charge and do, changing nothing (didstore only:
        ``DELETE …?dry_run=true``; the answer's ``dry_run`` is true)."""
        params: dict[str, Any] = {"dry_run": True}
        if immediate is not None:
            params["immediate"] = immediate
        op = Operation("DELETE", number_path(auth_id, e164), model(ReleaseResult), params=params)
        return await self._c.request(op)

    async def cancel_number_release(self, auth_id: str, e164: str) -> CancelReleaseResult:
        path = f"{number_path(auth_id, e164, lowercase=True)}/cancel-release"
        return await self._c.request(Operation("POST", path, model(CancelReleaseResult)))

    async def assign_number_to_trunk(
        self, auth_id: str, phone_number: str, trunk_group_id: str
    ) -> Ack:
        path = f"{number_path(auth_id, phone_number)}/assign"
        payload = {"trunk_group_id": trunk_group_id}
        return await self._c.request(Operation("POST", path, ack, json=payload))

    async def unassign_number_from_trunk(self, auth_id: str, phone_number: str) -> Ack:
        path = f"{number_path(auth_id, phone_number)}/assign"
        return await self._c.request(Operation("DELETE", path, ack))

    async def attach_application(
        self, auth_id: str, phone_number: str, application_id: str
    ) -> ApplicationAttachment:
        path = f"{number_path(auth_id, phone_number)}/application"
        payload = {"application_id": application_id}
        return await self._c.request(
            Operation("POST", path, model(ApplicationAttachment), json=payload)
        )

    async def detach_application(self, auth_id: str, phone_number: str) -> ApplicationAttachment:
        path = f"{number_path(auth_id, phone_number)}/application"
        return await self._c.request(Operation("DELETE", path, model(ApplicationAttachment)))

    async def assign_did_to_subaccount(self, auth_id: str, e164: str, sub_account_id: str) -> Ack:
        """Move a DID from the parent pool to a sub-account (parent credentials)."""
        path = f"{number_path(auth_id, e164, lowercase=True)}/assign-subaccount"
        payload = {"sub_account_id": sub_account_id}
        return await self._c.request(Operation("POST", path, ack, json=payload))

    async def unassign_did_from_subaccount(
        self, auth_id: str, e164: str, force: bool | None = None
    ) -> Ack:
        """Move a DID back to the parent. Raises :class:`CoolOffError` while the 15-day
        cool-off runs (``cool_off_until``); ``force`` is operator-only."""
        path = f"{number_path(auth_id, e164, lowercase=True)}/assign-subaccount"
        params = {"force": force} if force is not None else None
        return await self._c.request(Operation("DELETE", path, ack, params=params))

    async def get_number_health(
        self,
        auth_id: str,
        e164: str,
        granularity: str | None = None,
        days: int | None = None,
    ) -> NumberHealth:
        path = f"{number_path(auth_id, e164, lowercase=True)}/health"
        params = {"granularity": granularity, "days": days}
        return await self._c.request(Operation("GET", path, model(NumberHealth), params=params))


class Trunks(Resource):
    """SIP trunks (entities spec §1); a trunk's ``trunk_id`` is a number's
    ``trunk_group_id``."""

    def list(
        self, auth_id: str, limit: int | None = None, offset: int | None = None
    ) -> AsyncPager[Trunk]:
        path = f"{account(auth_id)}/trunks"
        return self._c.paginate(
            offset_list(path, offset_paged(Trunk, "total"), {}, limit=limit, offset=offset)
        )

    async def create(self, auth_id: str, name: str, **fields: Any) -> Trunk:
        payload = body(name=name, **fields)
        path = f"{account(auth_id)}/trunks"
        return await self._c.request(Operation("POST", path, model(Trunk), json=payload))

    async def get(self, auth_id: str, trunk_id: str) -> Trunk:
        path = f"{account(auth_id)}/trunks/{seg(trunk_id)}"
        return await self._c.request(Operation("GET", path, model(Trunk)))

    async def update(self, auth_id: str, trunk_id: str, **fields: Any) -> Trunk:
        path = f"{account(auth_id)}/trunks/{seg(trunk_id)}"
        return await self._c.request(Operation("PUT", path, model(Trunk), json=body(**fields)))

    async def delete(self, auth_id: str, trunk_id: str) -> Ack:
        path = f"{account(auth_id)}/trunks/{seg(trunk_id)}"
        return await self._c.request(Operation("DELETE", path, ack))


class Applications(Resource):
    """Voice applications (entities spec §2); ``app_id`` is a number's ``application_id``."""

    def list(
        self, auth_id: str, limit: int | None = None, offset: int | None = None
    ) -> AsyncPager[Application]:
        path = f"{account(auth_id)}/Application/"
        parse = offset_paged(Application, "total_count")
        return self._c.paginate(offset_list(path, parse, {}, limit=limit, offset=offset))

    async def create(
        self,
        auth_id: str,
        app_name: str,
        answer_url: str,
        answer_method: str = "POST",
        **fields: Any,
    ) -> ApplicationWrite:
        payload = body(app_name=app_name, answer_url=answer_url, answer_method=answer_method)
        payload.update(body(**fields))
        path = f"{account(auth_id)}/Application/"
        return await self._c.request(Operation("POST", path, model(ApplicationWrite), json=payload))

    async def get(self, auth_id: str, app_id: str) -> Application:
        path = f"{account(auth_id)}/Application/{seg(app_id)}/"
        return await self._c.request(Operation("GET", path, model(Application)))

    async def update(self, auth_id: str, app_id: str, **fields: Any) -> ApplicationWrite:
        """Partial update (the API updates with POST)."""
        path = f"{account(auth_id)}/Application/{seg(app_id)}/"
        return await self._c.request(
            Operation("POST", path, model(ApplicationWrite), json=body(**fields))
        )

    async def delete(self, auth_id: str, app_id: str) -> Ack:
        """Raises :class:`ConflictError` while numbers are attached."""
        path = f"{account(auth_id)}/Application/{seg(app_id)}/"
        return await self._c.request(Operation("DELETE", path, ack))


class SubAccounts(Resource):
    """Sub-accounts of a main account (entities spec §3)."""

    def list(
        self, auth_id: str, page: int | None = None, size: int | None = None
    ) -> AsyncPager[SubAccount]:
        path = f"/api/v1/accounts/{seg(auth_id)}/sub-accounts/"
        parse = paged(SubAccount, "sub_accounts", size_key="size")
        return self._c.paginate(
            page_list(path, parse, {}, page=page, per_page=size, size_param="size")
        )

    async def create(self, auth_id: str, name: str, **fields: Any) -> SubAccountCreated:
        """The new sub-account's token is in ``auth_credentials`` and shown only once."""
        path = f"/api/v1/accounts/{seg(auth_id)}/sub-accounts/"
        payload = body(name=name, **fields)
        return await self._c.request(
            Operation("POST", path, model(SubAccountCreated), json=payload)
        )

    async def get(self, auth_id: str, sub_auth_id: str) -> SubAccount:
        path = f"/api/v1/accounts/{seg(auth_id)}/sub-accounts/{seg(sub_auth_id)}"
        return await self._c.request(Operation("GET", path, model(SubAccount)))

    async def update(self, auth_id: str, sub_auth_id: str, **fields: Any) -> SubAccount:
        path = f"/api/v1/accounts/{seg(auth_id)}/sub-accounts/{seg(sub_auth_id)}"
        return await self._c.request(Operation("PUT", path, model(SubAccount), json=body(**fields)))

    async def delete(self, auth_id: str, sub_auth_id: str) -> Ack:
        path = f"/api/v1/accounts/{seg(auth_id)}/sub-accounts/{seg(sub_auth_id)}"
        return await self._c.request(Operation("DELETE", path, ack))


class BalanceResource(Resource):
    async def get_balance(self, auth_id: str, currency: str) -> Balance:
        path = f"{account(auth_id)}/balance/{seg(currency.upper())}"
        return await self._c.request(Operation("GET", path, model(Balance)))

    async def retrieve(self, auth_id: str, currency: str) -> Balance:
        return await self.get_balance(auth_id, currency)

    async def list_balances(self, auth_id: str) -> list[Balance]:
        """Every currency of the paying wallet (didstore only: ``GET …/balances``)."""
        path = f"{account(auth_id)}/balances"
        return await self._c.request(Operation("GET", path, models(Balance, "balances")))


class Transactions(Resource):
    """The paying wallet's ledger (a sub-account sees its parent's)."""

    def list(
        self,
        auth_id: str,
        page: int | None = None,
        per_page: int | None = None,
        limit: int | None = None,
        offset: int | None = None,
        **filters: Any,
    ) -> AsyncPager[Transaction]:
        """Filters: ``from_date``, ``to_date`` (YYYY-MM-DD), ``type`` (credit|debit),
        ``status``, ``currency``, ``reference_type``, ``description``, ``reference``,
        ``transaction_id``."""
        path = f"{account(auth_id)}/transactions"
        op = page_list(
            path,
            paged(Transaction, "transactions"),
            dict(filters),
            page=page,
            per_page=per_page,
            limit=limit,
            offset=offset,
        )
        return self._c.paginate(op)

    def list_transactions(
        self, auth_id: str, limit: int | None = None, offset: int | None = None, **filters: Any
    ) -> AsyncPager[Transaction]:
        """Seed spelling of :meth:`list`."""
        return self.list(auth_id, limit=limit, offset=offset, **filters)

    async def export_csv(self, auth_id: str, out: BinaryIO, **filters: Any) -> int:
        """The whole ledger listing (:meth:`list`'s filters, newest first) as CSV, streamed
        into the binary file ``out``; returns the bytes written."""
        return await self._c.download(f"{account(auth_id)}/transactions", out, dict(filters))


class Auth(Resource):
    async def me(self) -> AccountProfile:
        """The calling account's profile (not available to the operator token)."""
        return await self._c.request(Operation("GET", "/api/v1/auth/me", model(AccountProfile)))


__all__ = [
    "Applications",
    "Auth",
    "BalanceResource",
    "PhoneNumbers",
    "SubAccounts",
    "Transactions",
    "Trunks",
]
