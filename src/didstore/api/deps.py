"""What a request handler reaches the services through: one typed accessor."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from didstore.bootstrap import Services


def services(request: HTTPConnection) -> Services:
    """The services the application was built with (``bootstrap.build``)."""
    found: Services = request.app.state.services
    return found
