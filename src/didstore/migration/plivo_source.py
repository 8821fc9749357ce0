"""Reading what a Plivo account holds: its numbers, applications and sub-accounts, from the
Plivo API (or any Plivo-compatible server, such as a second didstore's facade) or from a CSV
export. Only ``delete_number`` writes, and only ``didstore migrate plivo release`` calls it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import phonenumbers

from didstore.domain.e164 import number_type

SERVICES = ("voice", "sms", "mms")
_TYPES = {"fixed": "local", "local": "local", "mobile": "mobile", "tollfree": "tollfree"}


class SourceError(Exception):
    """The source could not be read (its status and message, or why)."""


@dataclass(frozen=True)
class SourceNumber:
    number: str  # digits, as Plivo writes them
    country: str  # ISO 3166 alpha-2, from the numbering plan
    number_type: str  # local | mobile | tollfree | national
    region: str = ""
    services: tuple[str, ...] = ("voice",)
    app_id: str | None = None
    alias: str | None = None
    sub_account: str | None = None

    @property
    def e164(self) -> str:
        return "+" + self.number


@dataclass(frozen=True)
class SourceApp:
    app_id: str
    app_name: str
    fields: dict[str, Any] = field(default_factory=dict)  # URLs and methods, as Plivo has them


@dataclass(frozen=True)
class SourceSub:
    auth_id: str
    name: str


@dataclass
class Source:
    numbers: list[SourceNumber]
    applications: list[SourceApp]
    sub_accounts: list[SourceSub]


APP_FIELDS = (
    "answer_url",
    "answer_method",
    "hangup_url",
    "hangup_method",
    "fallback_answer_url",
    "fallback_method",
    "message_url",
    "message_method",
)


def _country(digits: str) -> str:
    try:
        parsed = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return ""
    return phonenumbers.region_code_for_number(parsed) or ""


def _app_id(uri: object) -> str | None:
    """``/v1/Account/MA…/Application/123/`` -> ``123``."""
    if not isinstance(uri, str) or "/Application/" not in uri:
        return None
    return uri.rstrip("/").rsplit("/", 1)[-1] or None


def number_from(obj: dict[str, Any]) -> SourceNumber:
    digits = str(obj.get("number") or "").lstrip("+")
    if not digits.isdigit():
        raise SourceError(f"a number without digits: {obj.get('number')!r}")
    kind = str(obj.get("number_type") or obj.get("type") or "").lower()
    services = tuple(s for s in SERVICES if _truthy(obj.get(f"{s}_enabled", s == "voice")))
    return SourceNumber(
        number=digits,
        country=_country(digits),
        number_type=_TYPES.get(kind) or number_type("+" + digits),
        region=str(obj.get("region") or ""),
        services=services,
        app_id=_app_id(obj.get("application")) or (str(obj.get("app_id") or "") or None),
        alias=obj.get("alias") or None,
        sub_account=obj.get("sub_account") or None,
    )


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "y")
    return bool(value)


class PlivoReader:
    """GETs against ``{url}/v1/Account/{auth_id}/…`` with HTTP Basic, following
    ``meta.next`` page by page."""

    def __init__(self, url: str, auth_id: str, auth_token: str, *, timeout: float = 30) -> None:
        self.root = url.rstrip("/") + "/"
        self.account = f"v1/Account/{auth_id}/"
        self.http = httpx.Client(auth=(auth_id, auth_token), timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def _get(self, url: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            r = self.http.get(url, params=params)
        except httpx.HTTPError as exc:
            raise SourceError(f"cannot reach {url}: {exc}") from exc
        if r.status_code != 200:
            try:
                message = r.json().get("error", r.text)
            except ValueError:
                message = r.text
            raise SourceError(f"{r.status_code} from {url}: {message}")
        body: dict[str, Any] = r.json()
        return body

    def number(self, digits: str) -> dict[str, Any]:
        """One number the account holds (``SourceError`` when it does not)."""
        return self._get(urljoin(self.root, f"{self.account}Number/{digits}/"))

    def delete_number(self, digits: str) -> bool:
        """Unrent a number; ``False`` when it was already gone (a repeated release)."""
        url = urljoin(self.root, f"{self.account}Number/{digits}/")
        try:
            r = self.http.delete(url)
        except httpx.HTTPError as exc:
            raise SourceError(f"cannot reach {url}: {exc}") from exc
        if r.status_code == 404:
            return False
        if r.status_code not in (200, 202, 204):
            raise SourceError(f"{r.status_code} from {url}: {r.text}")
        return True

    def _walk(self, resource: str) -> Iterator[dict[str, Any]]:
        url: str | None = urljoin(self.root, f"{self.account}{resource}/")
        params: dict[str, Any] | None = {"limit": 20, "offset": 0}
        while url:
            body = self._get(url, params)
            yield from body.get("objects") or []
            following = (body.get("meta") or {}).get("next")
            url, params = (urljoin(self.root, following), None) if following else (None, None)

    def read(self) -> Source:
        numbers = [number_from(o) for o in self._walk("Number")]
        apps = [
            SourceApp(
                str(o["app_id"]),
                str(o.get("app_name") or ""),
                {k: o[k] for k in APP_FIELDS if o.get(k)},
            )
            for o in self._walk("Application")
        ]
        return Source(numbers, apps, self._sub_accounts())

    def _sub_accounts(self) -> list[SourceSub]:
        """Plivo's ``Subaccount/`` list (a sub-account's own credentials may not read it: then
        there are none to offer, and the numbers' ``sub_account`` ids are used as names)."""
        try:
            return [
                SourceSub(str(o["auth_id"]), str(o.get("name") or o["auth_id"]))
                for o in self._walk("Subaccount")
            ]
        except SourceError as exc:
            if str(exc).startswith(("403", "404", "405")):
                return []
            raise


def read_csv(path: Path) -> Source:
    """A CSV with a header row: ``number`` (required), and optionally ``number_type``,
    ``region``, ``voice_enabled``, ``sms_enabled``, ``mms_enabled``, ``app_id``, ``alias``,
    ``sub_account``. Applications are not in such an export: none are recreated."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"cannot read {path}: {exc}") from exc
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "number" not in [f.strip() for f in reader.fieldnames]:
        raise SourceError(f"{path}: a header row with a 'number' column is needed")
    numbers = []
    for row in reader:
        clean = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        if clean.get("number"):
            numbers.append(number_from(clean))
    subs = sorted({n.sub_account for n in numbers if n.sub_account})
    return Source(numbers, [], [SourceSub(s, s) for s in subs])
