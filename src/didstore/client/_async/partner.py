"""Partner (reseller) resources, read-mostly (numbers spec §5, entities spec §6, issue 5):
customers, their numbers across the umbrella, and the management reports."""

from __future__ import annotations

from typing import Any

from didstore.client._async.pager import AsyncPager
from didstore.client._async.runner import Resource, Runner
from didstore.client.core import Operation
from didstore.client.models import (
    BalanceTransfer,
    CustomerAccount,
    PartnerProfile,
    PhoneNumber,
    Report,
    Transaction,
)
from didstore.client.ops import body, model, page_list, paged, seg

PARTNER = "/api/v1/partner"


class Customers(Resource):
    def list(
        self, search: str | None = None, page: int | None = None, per_page: int | None = None
    ) -> AsyncPager[CustomerAccount]:
        """``{accounts, total, page, size}``: the page size is echoed as ``size``."""
        parse = paged(CustomerAccount, "accounts", size_key="size")
        op = page_list(
            f"{PARTNER}/accounts", parse, {"search": search}, page=page, per_page=per_page
        )
        return self._c.paginate(op)

    async def create(self, name: str, email: str, **fields: Any) -> dict[str, Any]:
        """Create a customer account; the answer carries its token once."""
        payload = body(name=name, email=email, **fields)
        return await self._c.request(
            Operation("POST", f"{PARTNER}/accounts", lambda b, _: dict(b or {}), json=payload)
        )

    async def transfer_balance(
        self, customer_auth_id: str, amount: float, currency: str, description: str | None = None
    ) -> BalanceTransfer:
        """Move money from the partner wallet to a customer's (same currency, atomic)."""
        path = f"{PARTNER}/accounts/{seg(customer_auth_id)}/transfer-balance"
        payload = body(amount=amount, currency=currency, description=description)
        return await self._c.request(Operation("POST", path, model(BalanceTransfer), json=payload))

    def list_transactions(
        self,
        customer_auth_id: str,
        page: int | None = None,
        per_page: int | None = None,
        **filters: Any,
    ) -> AsyncPager[Transaction]:
        path = f"{PARTNER}/accounts/{seg(customer_auth_id)}/transactions"
        parse = paged(Transaction, "transactions")
        return self._c.paginate(page_list(path, parse, dict(filters), page=page, per_page=per_page))


class PartnerNumbers(Resource):
    def list(
        self,
        customer_auth_id: str | None = None,
        search: str | None = None,
        page: int | None = None,
        per_page: int | None = None,
    ) -> AsyncPager[PhoneNumber]:
        """One customer's numbers, or (without ``customer_auth_id``) every number under the
        partner. Read-only."""
        path = (
            f"{PARTNER}/accounts/{seg(customer_auth_id)}/numbers"
            if customer_auth_id
            else f"{PARTNER}/numbers"
        )
        params = {"search": "".join(c for c in search if c.isdigit()) if search else None}
        op = page_list(path, paged(PhoneNumber, "items"), params, page=page, per_page=per_page)
        return self._c.paginate(op)


class Reports(Resource):
    """Management reports (JSON); under ``/api/v1/partner/reports/``."""

    async def get_report(self, name: str, params: dict[str, Any] | None = None) -> Report:
        return await self._c.request(
            Operation("GET", f"{PARTNER}/reports/{name}", _report, params=params)
        )

    async def renewals(self, within_days: int | None = None) -> Report:
        """Numbers renewing in the window whose account cannot cover the rentals due."""
        return await self.get_report("renewals", {"within_days": within_days})

    async def routing(self) -> Report:
        """Active numbers with neither application nor trunk."""
        return await self.get_report("routing")

    async def costs(self, from_date: str | None = None, to_date: str | None = None) -> Report:
        """Setup and monthly fees charged per customer in ``[from_date, to_date]``."""
        return await self.get_report("costs", {"from": from_date, "to": to_date})

    async def kyc(self) -> Report:
        """Numbers restricted until Aadhaar KYC."""
        return await self.get_report("kyc")


def _report(data: Any, http: Any) -> Report:
    report = Report.from_dict(data, http)
    if not report.items and isinstance(data, dict):
        for value in data.values():
            if isinstance(value, list):
                report.items = [v for v in value if isinstance(v, dict)]
                break
    return report


class Partner(Resource):
    """Partner (``PA_``) credentials: the profile, customers, numbers and reports."""

    customers: Customers
    numbers: PartnerNumbers
    reports: Reports

    def __init__(self, client: Runner) -> None:
        super().__init__(client)
        self.customers = Customers(client)
        self.numbers = PartnerNumbers(client)
        self.reports = Reports(client)

    async def me(self) -> PartnerProfile:
        return await self._c.request(Operation("GET", f"{PARTNER}/me", model(PartnerProfile)))
