"""Domain errors with stable snake_case codes.

The HTTP layer maps each class to a status and the wire envelope of the surface it serves
(one table, ``didstore.api.errors``); nothing here knows about HTTP.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class. ``code`` is stable and machine-readable; ``message`` is for humans."""

    code = "error"
    #: keys of ``extra`` that the wire envelope shows next to ``error`` and ``message``
    public_extra: tuple[str, ...] = ()

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class InvalidInput(DomainError):
    code = "invalid_request"


class NotFound(DomainError):
    code = "not_found"


class Forbidden(DomainError):
    code = "forbidden"


class Conflict(DomainError):
    code = "conflict"


class RetryableConflict(Conflict):
    """A concurrent change got in the way; the same request will most likely succeed when
    sent again (the HTTP layer adds ``Retry-After``). Every other conflict is final."""

    code = "conflict_retry"


class NumberLocked(Conflict):
    """Release or move of a number under a deletion lock: lift the lock first."""

    code = "number_locked"


class InsufficientBalance(DomainError):
    """The paying wallet cannot cover a charge; nothing was changed."""

    code = "insufficient_balance"


class NotPendingRelease(DomainError):
    """Cancel-release on a number that is not (or no longer) pending release."""

    code = "not_pending_release"


class AlreadyPendingRelease(DomainError):
    code = "already_pending_release"


class CoolOffInEffect(DomainError):
    """A DID that took a call in the last 15 days cannot leave its sub-account yet."""

    code = "did_cool_off_in_effect"


class AuthenticationFailed(DomainError):
    code = "unauthorized"


class AccountMismatch(DomainError):
    """Authenticated, but the path names another account."""

    code = "account_mismatch"


class IdempotencyKeyReused(DomainError):
    """An ``Idempotency-Key`` already used (within 24 h) for a different request."""

    code = "idempotency_key_reused"


class RateLimited(DomainError):
    """Too many requests for a credential or an address, or too many failed
    authentications (``api/limits.py``); the answer says when to retry."""

    code = "rate_limited"
    public_extra = ("retry_after",)


class PayloadTooLarge(DomainError):
    """A request body larger than the server accepts on that route."""

    code = "payload_too_large"
    public_extra = ("max_bytes",)


class RequestTimeout(DomainError):
    """The request body did not arrive in time."""

    code = "request_timeout"


class NumberReserved(Conflict):
    """A purchase of a number another account holds (a live reservation, ADR 0022): final
    until the hold is cancelled, bought or expires."""

    code = "number_reserved"


class NumbersUnavailable(Conflict):
    """A reservation of numbers not all available to hold (taken, held by someone, or not in
    inventory): nothing was held (ADR 0022). ``numbers`` lists the ones refused."""

    code = "numbers_unavailable"
    public_extra = ("numbers",)


class ReservationNotActive(Conflict):
    """Extend, cancel or purchase of a reservation that has expired, was cancelled or was
    bought already (final)."""

    code = "reservation_not_active"
    public_extra = ("status",)


class BulkJobTooLarge(InvalidInput):
    """A bulk job over more numbers than the server's per-job limit (ADR 0023)."""

    code = "bulk_job_too_large"


class ConfirmationRequired(DomainError):
    """A destructive bulk job over more numbers than the threshold, sent without the
    confirmation token its dry run returns (ADR 0023)."""

    code = "confirmation_required"


class ConfirmationInvalid(DomainError):
    """A confirmation token that is malformed, expired, or issued for other parameters."""

    code = "confirmation_invalid"


class BulkJobFinished(Conflict):
    """Cancelling a bulk job that has already completed or been cancelled (final)."""

    code = "bulk_job_finished"
