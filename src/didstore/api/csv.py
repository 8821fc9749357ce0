"""CSV answers (ADR 0024): ``Accept`` negotiation and the one streamed CSV response.

A list route answers CSV when the client prefers ``text/csv`` to JSON (``wants_csv``); it
then sends the WHOLE matching list (paging parameters are ignored), read in batches by
``services/exports.py`` and encoded batch by batch by ``wire/csv.py``, so the server holds
one batch whatever the list's length. The first batch is read before the answer starts:
a refusal or a database outage at the start is an ordinary error answer (401, 404, 503...).
A failure after the first bytes cannot change the status any more: the stream is cut
(the chunked body never ends), which every HTTP client reports as an incomplete answer.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from didstore.wire import csv as wire_csv
from didstore.wire.csv import mapped

__all__ = ["mapped", "prefers_csv", "streamed", "wants_csv", "whole"]

MEDIA_TYPE = "text/csv; charset=utf-8"


#: RFC 9110 §12.4.2: ``qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )``
_QVALUE = re.compile(r"0(\.[0-9]{0,3})?|1(\.0{0,3})?")


def _quality(params: list[str]) -> float:
    """The ``q`` of one ``Accept`` item; a value that is not an RFC 9110 qvalue (``nan``,
    ``inf``, ``1e-3``, ``bad``) counts as 0, so it never chooses CSV."""
    for p in params:
        name, _, value = p.partition("=")
        if name.strip().lower() == "q":
            value = value.strip()
            return float(value) if _QVALUE.fullmatch(value) else 0.0
    return 1.0


def prefers_csv(accept: str) -> bool:
    """``True`` when ``accept`` (an ``Accept`` header) names ``text/csv`` (``q`` > 0) and
    ranks it above ``application/json``; a tie goes to the one listed first. Wildcards
    (``*/*``, ``text/*``) never choose CSV: without an explicit ``text/csv`` the answer is
    JSON, as it always was (Vobiz compatibility)."""
    if "csv" not in accept.lower():  # the common case, decided without parsing
        return False
    csv_rank: tuple[float, int] | None = None
    json_rank: tuple[float, int] | None = None
    json_wild: tuple[float, int] | None = None
    for index, item in enumerate(accept.split(",")):
        media, *params = item.split(";")
        media = media.strip().lower()
        rank = (_quality(params), -index)
        if media == "text/csv":
            csv_rank = rank
        elif media == "application/json":
            json_rank = rank
        elif media in ("application/*", "*/*") and json_wild is None:
            json_wild = rank
    if csv_rank is None or csv_rank[0] <= 0:
        return False
    json = json_rank if json_rank is not None else json_wild
    return json is None or csv_rank > json


def wants_csv(request: Request) -> bool:
    return prefers_csv(request.headers.get("accept", ""))


async def _chain(
    first: Iterable[Mapping[str, Any]] | None,
    rest: AsyncIterator[Iterable[Mapping[str, Any]]],
) -> AsyncIterator[Iterable[Mapping[str, Any]]]:
    if first is None:
        return
    yield first
    async for batch in rest:
        yield batch


async def streamed(
    columns: Sequence[str],
    batches: AsyncIterator[Iterable[Mapping[str, Any]]],
    filename: str,
) -> Response:
    """The CSV answer: ``200 text/csv; charset=utf-8``, an attachment named ``filename``,
    the header row, then the rows as the batches arrive (chunked transfer)."""
    first = await anext(batches, None)  # errors at the start are ordinary answers
    return StreamingResponse(
        wire_csv.stream(columns, _chain(first, batches)),
        media_type=MEDIA_TYPE,
        headers=download_headers(filename),
    )


def download_headers(filename: str) -> dict[str, str]:
    return {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    }


def whole(columns: Sequence[str], rows: Iterable[Mapping[str, Any]], filename: str) -> Response:
    """A small CSV answer built at once (the partner reports: lists of at most a few
    thousand rows that their services compute whole)."""
    return Response(
        wire_csv.encode(columns, rows), media_type=MEDIA_TYPE, headers=download_headers(filename)
    )
