"""Money in integer minor units of an ISO 4217 currency. Never float.

The Vobiz wire format shows amounts in currency units: fees as integers (the newer SDK
rejects a fractional fee), balances and ledger amounts as numbers. Conversions happen
here, in one place per direction.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import iso4217

from didstore.domain.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Currency:
    code: str
    exponent: int

    @property
    def factor(self) -> int:
        return int(10**self.exponent)


def currency(code: object) -> Currency:
    """Look up an ISO 4217 currency; raise ``InvalidInput`` for anything else (a JSON object
    or list included: those are checked before the cache, which needs a hashable key)."""
    if not isinstance(code, str) or len(code.strip()) != 3:
        raise InvalidInput(f"unknown currency {code!r}: expected an ISO 4217 code such as INR")
    return _currency(code)


@lru_cache(maxsize=256)
def _currency(code: str) -> Currency:
    upper = code.strip().upper()
    try:
        cur = iso4217.Currency(upper)
    except ValueError as exc:
        raise InvalidInput(f"unknown currency {code!r}") from exc
    exponent = cur.exponent
    if exponent is None:  # funds codes such as XAU carry no minor unit: not money we bill in
        raise InvalidInput(f"currency {upper} has no minor unit and cannot be billed")
    return Currency(upper, int(exponent))


def _decimal(amount: object, what: str) -> Decimal:
    if isinstance(amount, bool) or not isinstance(amount, (int, float, str, Decimal)):
        raise InvalidInput(f"{what} must be a number")
    try:
        value = Decimal(str(amount).strip())
    except InvalidOperation as exc:
        raise InvalidInput(f"{what} must be a number, got {amount!r}") from exc
    if not value.is_finite():
        raise InvalidInput(f"{what} must be a finite number")
    return value


#: Largest amount (in minor units, either sign) one request may carry: 10**15 minor units
#: keeps every balance and sum far inside a 64-bit column (PostgreSQL BIGINT, SQLite
#: INTEGER), so a larger figure is a 400 here rather than an overflow in the database.
MAX_MINOR = 10**15


def _bounded(minor: int, cur: Currency, what: str) -> int:
    if abs(minor) > MAX_MINOR:
        raise InvalidInput(
            f"{what} is too large: at most {MAX_MINOR // cur.factor} {cur.code}", field=what
        )
    return minor


def to_minor(amount: object, cur: Currency, what: str = "amount") -> int:
    """Units (``12.5``) to minor units (``1250``); finer precision than the currency is refused,
    and so is anything beyond ``MAX_MINOR``."""
    value = _decimal(amount, what)
    if value.adjusted() > 30:  # 1e400 and friends: refuse before scaling
        raise InvalidInput(f"{what} is too large", field=what)
    value *= cur.factor
    if value != value.to_integral_value():
        raise InvalidInput(
            f"{what} {amount} has more decimals than {cur.code} allows ({cur.exponent})"
        )
    return _bounded(int(value), cur, what)


def whole_units_to_minor(amount: object, cur: Currency, what: str) -> int:
    """Whole currency units only (fees: the compatible wire format carries them as integers)."""
    value = _decimal(amount, what)
    if value != value.to_integral_value():
        raise InvalidInput(f"{what} must be a whole number of {cur.code}, got {amount}")
    if value < 0:
        raise InvalidInput(f"{what} must be >= 0, got {amount}")
    if value.adjusted() > 30:
        raise InvalidInput(f"{what} is too large", field=what)
    return _bounded(int(value) * cur.factor, cur, what)


def to_units(minor: int, cur: Currency) -> int | float:
    """Minor units to the wire: an int when whole (fees, PY's int fields), else a float."""
    if minor % cur.factor == 0:
        return minor // cur.factor
    return float(Decimal(minor) / cur.factor)


def to_fixed(minor: int, cur: Currency, places: int = 5) -> str:
    """Minor units as a fixed-point string (``"23906.83000"``), as partner profiles show money."""
    return f"{Decimal(minor) / cur.factor:.{places}f}"
