# GENERATED from _async/events.py by scripts/unasync_client.py: do not edit.
"""Events and webhooks (docs/events.md): read the feed, manage webhook endpoints, read their
delivery log. ``auth_id=None`` is the operator's (every event; operator token)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from didstore.client._sync.runner import Resource
from didstore.client.core import Operation
from didstore.client.models import Ack, EventPage, WebhookDelivery, WebhookEndpoint
from didstore.client.ops import account, ack, body, model, models, seg


def _events_path(auth_id: str | None) -> str:
    return "/api/v1/admin/events" if auth_id is None else f"{account(auth_id)}/events"


def _hooks_path(auth_id: str | None) -> str:
    return "/api/v1/admin/webhooks" if auth_id is None else f"{account(auth_id)}/webhooks"


class Events(Resource):
    def list(
        self,
        auth_id: str | None,
        after: int = 0,
        types: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> EventPage:
        """The events after ``after`` (0: from the oldest kept), oldest first; pass the
        answer's ``next_after`` to read on."""
        params: dict[str, Any] = {"after": after, "limit": limit}
        if types:
            params["type"] = ",".join(types)
        op = Operation("GET", _events_path(auth_id), model(EventPage), params=params)
        return self._c.request(op)


class Webhooks(Resource):
    def create(
        self, auth_id: str | None, url: str, event_types: Sequence[str] | None = None
    ) -> WebhookEndpoint:
        """Subscribe ``url`` (to ``event_types``, default every type); the answer carries
        the signing ``secret``, shown only here and on rotation."""
        payload = body(url=url, event_types=list(event_types) if event_types else None)
        op = Operation("POST", _hooks_path(auth_id), model(WebhookEndpoint), json=payload)
        return self._c.request(op)

    def list(self, auth_id: str | None) -> list[WebhookEndpoint]:
        op = Operation("GET", _hooks_path(auth_id), models(WebhookEndpoint, "webhooks"))
        return self._c.request(op)

    def get(self, auth_id: str | None, webhook_id: str) -> WebhookEndpoint:
        path = f"{_hooks_path(auth_id)}/{seg(webhook_id)}"
        return self._c.request(Operation("GET", path, model(WebhookEndpoint)))

    def delete(self, auth_id: str | None, webhook_id: str) -> Ack:
        path = f"{_hooks_path(auth_id)}/{seg(webhook_id)}"
        return self._c.request(Operation("DELETE", path, ack))

    def rotate_secret(
        self, auth_id: str | None, webhook_id: str, keep_old_seconds: int | None = None
    ) -> WebhookEndpoint:
        """A new secret; the old one also signs for ``keep_old_seconds`` (default 24 h)."""
        path = f"{_hooks_path(auth_id)}/{seg(webhook_id)}/rotate-secret"
        payload = body(keep_old_seconds=keep_old_seconds)
        op = Operation("POST", path, model(WebhookEndpoint), json=payload)
        return self._c.request(op)

    def enable(self, auth_id: str | None, webhook_id: str) -> WebhookEndpoint:
        path = f"{_hooks_path(auth_id)}/{seg(webhook_id)}/enable"
        return self._c.request(Operation("POST", path, model(WebhookEndpoint)))

    def deliveries(
        self, auth_id: str | None, webhook_id: str, limit: int | None = None
    ) -> builtins.list[WebhookDelivery]:
        path = f"{_hooks_path(auth_id)}/{seg(webhook_id)}/deliveries"
        parse = models(WebhookDelivery, "deliveries")
        return self._c.request(Operation("GET", path, parse, params={"limit": limit}))

    def redeliver(self, auth_id: str | None, webhook_id: str, delivery_id: str) -> Ack:
        path = f"{_hooks_path(auth_id)}/{seg(webhook_id)}/deliveries/{seg(delivery_id)}/redeliver"
        return self._c.request(Operation("POST", path, ack))
