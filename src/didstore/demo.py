"""Demo data for ``didstore serve --demo``: enough to try every route at once."""

from __future__ import annotations

import random
from dataclasses import dataclass

import phonenumbers

from didstore.bootstrap import Services
from didstore.services.accounts import Credentials
from didstore.services.models import CLI

DEMO_MARKER = "Demo Telecom"
ACCOUNT_NAME = "Acme Contact Centre"
SUB_ACCOUNT_NAME = "acme-support"


@dataclass(frozen=True, slots=True)
class DemoData:
    partner: Credentials
    account: Credentials
    sub_account: Credentials
    numbers_created: int
    #: two numbers in stock, for the banner's reservation example
    sample: tuple[str, ...] = ()


def _numbers(region: str, count: int, rng: random.Random) -> list[str]:
    """Valid numbers of a region, taken from the numbering plan's example number."""
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.FIXED_LINE)
    assert example is not None
    national = str(example.national_number)
    found: list[str] = []
    seen: set[str] = set()
    while len(found) < count:
        tail = "".join(rng.choice("0123456789") for _ in range(4))
        candidate = phonenumbers.parse(f"+{example.country_code}{national[:-4]}{tail}", None)
        e164 = phonenumbers.format_number(candidate, phonenumbers.PhoneNumberFormat.E164)
        if e164 not in seen and phonenumbers.is_valid_number(candidate):
            seen.add(e164)
            found.append(e164)
    return found


async def demo_auth_ids(state: Services) -> list[str]:
    """The demo partner, main account and sub-account ids of an already seeded database."""
    partner = await state.accounts.find_named(DEMO_MARKER)
    ids = [] if partner is None else [partner.auth_id]
    for name in (ACCOUNT_NAME, SUB_ACCOUNT_NAME):
        found = await state.accounts.find_named(name)
        if found is not None:
            ids.append(found.auth_id)
    return ids


async def seed(state: Services, *, per_country: int = 150) -> DemoData:
    rng = random.Random(20261123)
    partner = await state.accounts.create_partner(CLI, name=DEMO_MARKER, currency_code="INR")
    account = await state.accounts.create_main_account(
        CLI,
        name=ACCOUNT_NAME,
        currency_code="INR",
        partner_id=partner.account.auth_id,
        release_fee=700,
        email="ops@acme.example",
    )
    await state.wallet.credit(
        CLI, account.account, amount=100000, currency_code="INR", description="Demo opening balance"
    )
    await state.wallet.credit(
        CLI, account.account, amount=500, currency_code="USD", description="Demo opening balance"
    )
    sub = await state.accounts.create_sub_account(CLI, account.account, name=SUB_ACCOUNT_NAME)
    rows = [
        {
            "e164": n,
            "region": "Karnataka",
            "setup_fee": 100,
            "monthly_fee": 300,
            "currency": "INR",
            "aadhaar_verification_required": i % 5 == 0,
            "tags": ["demo"],
        }
        for i, n in enumerate(_numbers("IN", per_country, rng))
    ] + [
        {
            "e164": n,
            "region": "",
            "setup_fee": 1,
            "monthly_fee": 2,
            "currency": "USD",
            "capabilities": "voice,sms",
            "tags": ["demo"],
        }
        for n in _numbers("US", per_country, rng)
    ]
    report = await state.inventory.import_rows(CLI, rows)
    sample = tuple(str(r["e164"]) for r in rows[1:3])
    return DemoData(partner, account, sub, report.created, sample)
