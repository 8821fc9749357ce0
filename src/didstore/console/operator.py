"""Operator pages."""

from __future__ import annotations

from fastapi import APIRouter

from didstore.console.web import ConsoleRoute

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)
