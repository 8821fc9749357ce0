"""didstore Python SDK. Imports only httpx and the standard library (never the server).

from didstore.client import Client
client = Client()  # DIDSTORE_URL, DIDSTORE_AUTH_ID, DIDSTORE_AUTH_TOKEN
for n in client.phone_numbers.list_inventory_numbers(client.auth_id, country="IN"):
    ...
"""

from didstore.client.async_client import AsyncClient
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
    ResponseInfo,
    SubAccount,
    SubAccountCreated,
    Transaction,
    Trunk,
)
from didstore.client.numbers import InvalidNumberError, body_form, normalize, path_form
from didstore.client.pager import AsyncPager, Pager
from didstore.client.sync_client import Client

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
