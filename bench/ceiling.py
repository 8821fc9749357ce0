"""The framework ceiling of the side-by-side benchmark: a bare FastAPI async "hello" and a bare
Starlette one, served by uvicorn exactly as ``didstore serve`` serves didstore.

    python -m uvicorn ceiling:fastapi_app --app-dir bench --log-level warning --no-access-log

Both answer ``GET /`` with a small JSON object rendered by orjson (as didstore's responses are).
"""

from __future__ import annotations

import orjson
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

_HELLO = {"message": "hello"}

fastapi_app = FastAPI()


@fastapi_app.get("/")
async def fastapi_hello() -> Response:
    return Response(orjson.dumps(_HELLO), media_type="application/json")


async def starlette_hello(request: Request) -> Response:
    return Response(orjson.dumps(_HELLO), media_type="application/json")


starlette_app = Starlette(routes=[Route("/", starlette_hello)])
