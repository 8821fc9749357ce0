"""The console in a real browser: headless Chromium (Debian's ``chromium`` package) driven by
Playwright, against a real ``didstore serve`` process (``tests/live_server.py``). Few and
fast: the TestClient tests (``test_customer.py`` and the others here) cover every rule; these
prove the pages work in a browser end to end, at 360 px wide and on a desktop."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import ADMIN_TOKEN
from tests.live_server import Account, LiveServer, partner_with_customer, run_server

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: set to a folder to save screenshots of the main pages there (docs/console.md uses them)
SHOTS = os.environ.get("DIDSTORE_CONSOLE_SCREENSHOTS", "")
MOBILE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from run_server(tmp_path_factory.mktemp("console"), "console")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():  # scripts/test installs it; say so instead of skipping
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/test does)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def _page(browser: Browser, live: LiveServer, viewport: dict[str, int]) -> Page:
    context = browser.new_context(base_url=live.url, viewport=viewport)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    return context.new_page()


def _sign_in(page: Page, auth_id: str, token: str) -> None:
    page.goto("/console/login")
    form = page.get_by_test_id("login-form")
    form.get_by_label("Auth ID").fill(auth_id)
    form.get_by_label("Auth token").fill(token)
    form.get_by_role("button", name="Sign in").click()


def _shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _api_balance(live: LiveServer, acct: Account) -> float:
    r = httpx.get(
        f"{live.url}/api/v1/Account/{acct.auth_id}/balance/{acct.currency}",
        headers={"X-Auth-ID": acct.auth_id, "X-Auth-Token": acct.auth_token},
    )
    assert r.status_code == 200, r.text
    return float(r.json()["balance"])


@pytest.mark.parametrize("viewport", [MOBILE, DESKTOP], ids=["360px", "desktop"])
def test_buy_then_release_then_cancel(
    browser: Browser, live: LiveServer, viewport: dict[str, int]
) -> None:
    acct = live.create_account(balance=50, release_fee=2)
    [number] = live.stock(1, setup_fee=1, monthly_fee=3)
    page = _page(browser, live, viewport)
    _sign_in(page, acct.auth_id, acct.auth_token)
    expect(page).to_have_url(f"{live.url}/console/home")
    expect(page.locator('[data-testid="balance"][data-currency="INR"]')).to_have_text("50.00 INR")
    wide = viewport is DESKTOP

    page.get_by_role("link", name="Buy numbers").click()
    page.get_by_label("Digits contain").fill(number[-8:])
    page.get_by_role("button", name="Search").click()
    row = page.locator(f'[data-testid="number-row"][data-e164="{number}"]')
    expect(row).to_be_visible()
    if wide:
        _shot(page, "inventory")
    row.get_by_test_id("buy").click()
    expect(page.get_by_test_id("cost")).to_have_text("4.00 INR")
    _shot(page, "buy-confirm-" + ("desktop" if wide else "360px"))
    assert _api_balance(live, acct) == 50  # nothing moves before the confirmation
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("flash")).to_contain_text("charged 4.00 INR")
    assert _api_balance(live, acct) == 46
    if wide:
        page.get_by_role("link", name="Home").click()
        _shot(page, "home")
        page.go_back()

    page.get_by_role("link", name="Trunks and applications").click()
    page.get_by_label("New trunk name").fill("Office PBX")
    page.get_by_test_id("create-trunk").click()
    expect(page.get_by_test_id("flash")).to_have_text("Trunk Office PBX created.")
    page.get_by_role("link", name="My numbers", exact=True).click()
    expect(page.locator(f'[data-testid="number-row"][data-e164="{number}"]')).to_be_visible()
    page.get_by_role("link", name=number).click()
    page.get_by_label("Send calls to a trunk").select_option(
        label=page.locator("#trunk_id option").first.inner_text()
    )
    page.get_by_test_id("assign-trunk").click()
    expect(page.get_by_test_id("flash")).to_contain_text("now go to the trunk")
    if wide:
        _shot(page, "number")
    page.get_by_test_id("release").click()
    expect(page.get_by_test_id("cost")).to_have_text("2.00 INR")
    if wide:
        _shot(page, "release-confirm")
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("flash")).to_contain_text("charged 2.00 INR")
    assert _api_balance(live, acct) == 44

    page.get_by_test_id("cancel-release").click()
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("flash")).to_contain_text("refunded 2.00 INR")
    assert _api_balance(live, acct) == 46
    # nothing is wider than the screen
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], width
    page.context.close()


def test_wrong_token_cross_tenant_and_operator(browser: Browser, live: LiveServer) -> None:
    owner = live.create_account(balance=10)
    stranger = live.create_account()
    [number] = live.stock(1, setup_fee=1, monthly_fee=1)
    r = httpx.post(
        f"{live.url}/api/v1/Account/{owner.auth_id}/numbers/purchase-from-inventory",
        json={"e164": number},
        headers={"X-Auth-ID": owner.auth_id, "X-Auth-Token": owner.auth_token},
    )
    assert r.status_code == 200, r.text
    page = _page(browser, live, DESKTOP)
    _sign_in(page, stranger.auth_id, "wrong")
    expect(page.get_by_test_id("login-error")).to_be_visible()
    _sign_in(page, stranger.auth_id, stranger.auth_token)
    expect(page).to_have_url(f"{live.url}/console/home")
    answer = page.goto(f"/console/numbers/{number}")
    assert answer is not None and answer.status == 404
    page.get_by_role("link", name="Back to the console").click()
    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("flash")).to_have_text("Signed out.")
    _sign_in(page, "", ADMIN_TOKEN)
    expect(page).to_have_url(f"{live.url}/console/operator")
    page.context.close()


def test_partner_report_download(browser: Browser, live: LiveServer) -> None:
    partner, customer = partner_with_customer(live)
    [number] = live.stock(1, setup_fee=1, monthly_fee=3)
    r = httpx.post(
        f"{live.url}/api/v1/Account/{customer.auth_id}/numbers/purchase-from-inventory",
        json={"e164": number},
        headers={"X-Auth-ID": customer.auth_id, "X-Auth-Token": customer.auth_token},
    )
    assert r.status_code == 200, r.text
    page = _page(browser, live, DESKTOP)
    _sign_in(page, partner.auth_id, partner.auth_token)
    expect(page).to_have_url(f"{live.url}/console/partner")
    row = page.locator(f'[data-testid="customer-row"][data-auth-id="{customer.auth_id}"]')
    expect(row).to_be_visible()
    _shot(page, "partner-customers")
    page.get_by_role("link", name="Reports").click()
    section = page.locator('[data-testid="report"][data-report="costs"]')
    with page.expect_download() as download:
        section.get_by_test_id("csv").click()
    saved = Path(download.value.path())
    header = saved.read_text().splitlines()[0]
    lines = saved.read_text().splitlines()
    assert header == "account_id,name,currency,purchases,rentals,release_fees,refunds,net"
    assert lines[1].startswith(f"{customer.auth_id},customer,INR,4,")
    _shot(page, "partner-reports")
    page.context.close()


def test_operator_csv_import_with_a_bad_row(
    browser: Browser, live: LiveServer, tmp_path: Path
) -> None:
    good = "+918099" + str(abs(hash(tmp_path)) % 10**6).zfill(6)
    upload = tmp_path / "stock.csv"
    upload.write_text(
        "e164,region,setup_fee,monthly_fee,currency\n"
        f"{good},Karnataka,1,3,INR\n"
        "+91123,Nowhere,1,3,INR\n"
    )
    page = _page(browser, live, DESKTOP)
    _sign_in(page, "", ADMIN_TOKEN)
    page.get_by_role("link", name="Import inventory").click()
    page.get_by_label("CSV file").set_input_files(str(upload))
    page.get_by_test_id("check").click()
    expect(page.get_by_test_id("dry-run")).to_have_attribute("data-created", "1")
    expect(page.locator('[data-testid="row-error"][data-row="2"]')).to_be_visible()
    _shot(page, "operator-import-check")
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("flash")).to_contain_text("Imported 1 number(s)")
    page.get_by_role("link", name="Audit log").click()
    imports = page.locator('[data-testid="audit-row"][data-action="inventory.import"]')
    expect(imports.filter(has_text="(console)")).to_have_count(1)
    _shot(page, "operator-audit")
    page.context.close()


#: the names of the visible form controls that have no label
UNLABELLED = """[...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea:not([hidden])')]
    .filter(e => !e.labels || e.labels.length === 0).map(e => e.name)"""


def test_every_main_page_fits_a_360px_screen(browser: Browser, live: LiveServer) -> None:
    acct = live.create_account(balance=10)
    [number] = live.stock(1, setup_fee=1, monthly_fee=1)
    r = httpx.post(
        f"{live.url}/api/v1/Account/{acct.auth_id}/numbers/purchase-from-inventory",
        json={"e164": number},
        headers={"X-Auth-ID": acct.auth_id, "X-Auth-Token": acct.auth_token},
    )
    assert r.status_code == 200, r.text
    job = httpx.post(  # a bulk job (pending: the test server runs no jobs), for its pages
        f"{live.url}/api/v1/Account/{acct.auth_id}/jobs",
        json={"action": "release", "numbers": [number]},
        headers={"X-Auth-ID": acct.auth_id, "X-Auth-Token": acct.auth_token},
    )
    assert job.status_code == 202, job.text
    with live.admin() as http:
        made = http.post("/api/v1/admin/partners", json={"name": "P", "currency": "INR"})
        assert made.status_code == 201, made.text
        partner = made.json()
    pages = {
        (partner["auth_id"], partner["auth_token"]): [
            "/console/partner",
            "/console/partner/numbers",
            "/console/partner/reports",
        ],
        (acct.auth_id, acct.auth_token): [
            "/console/home",
            "/console/inventory",
            "/console/numbers",
            f"/console/numbers/{number}",
            "/console/transactions",
            "/console/trunks",
            "/console/subaccounts",
            "/console/events",
            "/console/webhooks",
            "/console/reservations",
            "/console/bulk",
            f"/console/bulk/{job.json()['id']}",
        ],
        ("", ADMIN_TOKEN): [
            "/console/operator",
            "/console/operator/inventory",
            "/console/operator/audit",
            "/console/operator/stock",
            "/console/operator/jobs",
            f"/console/operator/accounts/{acct.auth_id}",
            "/console/operator/events",
            "/console/operator/webhooks",
            "/console/operator/bulk",
            f"/console/operator/bulk/{job.json()['id']}",
        ],
    }
    for (auth_id, token), paths in pages.items():
        page = _page(browser, live, MOBILE)
        _sign_in(page, auth_id, token)
        for path in paths:
            answer = page.goto(path)
            assert answer is not None and answer.status == 200, path
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= MOBILE["width"], (path, width)
            # every form control has a label the browser knows
            unlabelled = page.evaluate(UNLABELLED)
            assert unlabelled == [], (path, unlabelled)
        page.context.close()


def test_numbers_csv_download_is_the_api_csv(browser: Browser, live: LiveServer) -> None:
    """The streamed "Download CSV" of My numbers saves the API's CSV (ADR 0024)."""
    acct = live.create_account(balance=100)
    numbers = live.stock(2, setup_fee=1, monthly_fee=3)
    auth = {"X-Auth-ID": acct.auth_id, "X-Auth-Token": acct.auth_token}
    for number in numbers:
        r = httpx.post(
            f"{live.url}/api/v1/Account/{acct.auth_id}/numbers/purchase-from-inventory",
            json={"e164": number},
            headers=auth,
        )
        assert r.status_code == 200, r.text
    api = httpx.get(
        f"{live.url}/api/v1/Account/{acct.auth_id}/numbers", headers={**auth, "Accept": "text/csv"}
    )
    page = _page(browser, live, MOBILE)
    _sign_in(page, acct.auth_id, acct.auth_token)
    page.goto("/console/numbers")
    with page.expect_download() as download:
        page.get_by_test_id("csv").click()
    assert download.value.suggested_filename == f"didstore-numbers-{acct.auth_id}.csv"
    assert Path(download.value.path()).read_bytes() == api.content
    page.context.close()
