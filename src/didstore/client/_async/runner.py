"""What a resource needs from its client: send one operation, or page through a list."""

from __future__ import annotations

from typing import Any, BinaryIO, Protocol, TypeVar

from didstore.client._async.pager import AsyncPager
from didstore.client.core import ListOperation, Operation

T = TypeVar("T")


class Runner(Protocol):
    async def request(self, op: Operation[T]) -> T: ...

    def paginate(self, op: ListOperation[T]) -> AsyncPager[T]: ...

    async def download(
        self, path: str, out: BinaryIO, params: dict[str, Any] | None = None
    ) -> int: ...


class Resource:
    """Base of every resource group (``client.phone_numbers``, ``client.trunks``...)."""

    def __init__(self, client: Runner) -> None:
        self._c = client
