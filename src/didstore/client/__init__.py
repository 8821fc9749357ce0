"""didstore Python SDK. Imports only httpx and the standard library (never the server).

from didstore.client import Client
client = Client()  # DIDSTORE_URL, DIDSTORE_AUTH_ID, DIDSTORE_AUTH_TOKEN
for n in client.phone_numbers.list_inventory_numbers(client.auth_id, country="IN"):
    ...

Layout: ``base`` (settings, headers, retry decisions, ``with_options``) is shared by both
flavours; ``_async`` is the hand-written async flavour and ``_sync`` is derived from it by
``scripts/unasync_client.py`` (docs/adr/0017-sdk-one-base-unasync.md).
"""

from didstore.client._async.client import AsyncClient
from didstore.client._async.pager import AsyncPager
from didstore.client._sync.client import Client
from didstore.client._sync.pager import Pager
from didstore.client.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    CoolOffError,
    DidstoreError,
    InsufficientBalanceError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    UnprocessableEntityError,
)
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
    Page,
    PhoneNumber,
    PurchaseResult,
    ReleaseResult,
    Report,
    Reservation,
    ReservationPurchase,
    ReservedNumber,
    ResponseInfo,
    SubAccount,
    SubAccountCreated,
    Transaction,
    Trunk,
)
from didstore.client.numbers import InvalidNumberError, body_form, normalize, path_form

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AccountProfile",
    "Ack",
    "Application",
    "ApplicationAttachment",
    "ApplicationWrite",
    "AsyncClient",
    "AsyncPager",
    "AuthenticationError",
    "BadRequestError",
    "Balance",
    "CancelReleaseResult",
    "Client",
    "ConflictError",
    "CoolOffError",
    "DidstoreError",
    "InsufficientBalanceError",
    "InvalidNumberError",
    "InventoryNumber",
    "NotFoundError",
    "NumberHealth",
    "Page",
    "Pager",
    "PermissionDeniedError",
    "PhoneNumber",
    "PurchaseResult",
    "RateLimitError",
    "ReleaseResult",
    "Report",
    "Reservation",
    "ReservationPurchase",
    "ReservedNumber",
    "ResponseInfo",
    "ServerError",
    "SubAccount",
    "SubAccountCreated",
    "Transaction",
    "Trunk",
    "UnprocessableEntityError",
    "body_form",
    "normalize",
    "path_form",
]
