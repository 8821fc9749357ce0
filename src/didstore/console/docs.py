"""``/docs`` (Swagger UI) and ``/redoc`` served from assets shipped in the package, so the API
documentation works on a host without internet access (FastAPI's defaults load them from a
CDN). The assets are vendored from npm (``static/vendor/README.md``)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from starlette.requests import Request
from starlette.responses import HTMLResponse

#: where ``console/static`` is mounted (``console.mount``)
STATIC = "/console/static"
_VENDOR = f"{STATIC}/vendor"


def install(app: FastAPI) -> None:
    """Add ``/docs`` and ``/redoc``; create the app with ``docs_url=None, redoc_url=None``."""
    openapi_url = app.openapi_url or "/openapi.json"
    title = app.title

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(_: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} - Swagger UI",
            swagger_js_url=f"{_VENDOR}/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url=f"{_VENDOR}/swagger-ui/swagger-ui.css",
            swagger_favicon_url=f"{_VENDOR}/swagger-ui/favicon-32x32.png",
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc(_: Request) -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{title} - ReDoc",
            redoc_js_url=f"{_VENDOR}/redoc/redoc.standalone.js",
            redoc_favicon_url=f"{_VENDOR}/swagger-ui/favicon-32x32.png",
            with_google_fonts=False,
        )
