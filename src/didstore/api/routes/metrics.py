"""``GET /metrics``: Prometheus exposition (operator token: the figures include stock and
wallet counts). Prometheus sends it with ``authorization: {credentials_file: …}``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from didstore import metrics
from didstore.api.auth import require_operator
from didstore.api.deps import services

router = APIRouter(tags=["ops"])


@router.get(
    "/metrics",
    summary="Prometheus metrics (operator token)",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text exposition format 0.0.4",
            "content": {metrics.CONTENT_TYPE: {"schema": {"type": "string"}}},
        },
    },
)
async def scrape(request: Request) -> Response:
    await require_operator(request)
    readings = await services(request).gauges.read()
    return Response(metrics.exposition(readings), media_type=metrics.CONTENT_TYPE)
