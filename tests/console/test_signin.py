"""Console sign-in: each role, one answer for every wrong part, CSRF, cookie flags, sign-out,
the throttle, and no session machinery on the API's path."""

from __future__ import annotations

from fastapi.testclient import TestClient

from didstore.services.models import CLI
from tests.conftest import make_account
from tests.console.pages import csrf, sign_in, sign_in_operator
from tests.support import TestServices


def test_each_role_lands_on_its_home(client: TestClient, state: TestServices) -> None:
    acct = make_account(state)
    r = sign_in(client, acct.auth_id, acct.token)
    assert r.status_code == 303 and r.headers["location"] == "/console/home"
    assert client.get("/console/home").status_code == 200

    partner = state.accounts.create_partner(CLI, name="P", currency_code="INR")
    client.cookies.clear()
    r = sign_in(client, partner.account.auth_id, partner.auth_token)
    assert r.headers["location"] == "/console/partner"

    client.cookies.clear()
    assert sign_in_operator(client).headers["location"] == "/console/operator"


def test_session_cookie_is_signed_httponly_lax_and_scoped(
    client: TestClient, state: TestServices
) -> None:
    acct = make_account(state)
    r = sign_in(client, acct.auth_id, acct.token)
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/console" in cookie
    assert "Max-Age=28800" in cookie
    assert "Secure" not in cookie  # plain HTTP here; see test_cookie_is_secure_over_https
    assert acct.token not in cookie  # the token never travels in the cookie
    value = client.cookies.get("didstore_console")
    assert value
    client.cookies.set("didstore_console", value[:-2] + "xx", path="/console")
    assert client.get("/console/home", follow_redirects=False).status_code == 303


def test_every_wrong_part_gets_the_same_answer(client: TestClient, state: TestServices) -> None:
    acct = make_account(state)
    other = make_account(state)
    answers = [
        sign_in(client, acct.auth_id, "wrong-token"),
        sign_in(client, "MA_DOESNOTEXIST", acct.token),
        sign_in(client, acct.auth_id, other.token),
        sign_in(client, "", "not-the-operator-token"),
        sign_in(client, acct.auth_id, ""),
    ]
    assert {r.status_code for r in answers} == {401}
    messages = {r.text.split('data-testid="login-error">')[1].split("<")[0] for r in answers}
    assert len(messages) == 1
    assert client.get("/console/home", follow_redirects=False).status_code == 303


def test_disabled_account_cannot_sign_in_nor_keep_its_session(
    client: TestClient, state: TestServices
) -> None:
    parent = make_account(state)
    sub = state.accounts.create_sub_account(CLI, state.accounts.get(parent.auth_id), name="s")
    assert sign_in(client, sub.account.auth_id, sub.auth_token).status_code == 303
    assert client.get("/console/home").status_code == 200
    state.accounts.delete_sub_account(CLI, state.accounts.get(parent.auth_id), sub.account.auth_id)
    state.accounts.forget(sub.account.auth_id)
    r = client.get("/console/home", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/login"
    client.cookies.clear()
    # the server's 5-second login cache (ADR 0013 §5) may still accept the token once; every
    # page re-reads the account, so the session opens nothing
    sign_in(client, sub.account.auth_id, sub.auth_token)
    r = client.get("/console/home", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/login"


def test_login_without_csrf_is_refused(client: TestClient, state: TestServices) -> None:
    acct = make_account(state)
    client.get("/console/login")
    r = client.post("/console/login", data={"auth_id": acct.auth_id, "auth_token": acct.token})
    assert r.status_code == 403
    r = client.post(
        "/console/login",
        data={"csrf": "forged", "auth_id": acct.auth_id, "auth_token": acct.token},
    )
    assert r.status_code == 403
    assert client.get("/console/home", follow_redirects=False).status_code == 303


def test_sign_out_needs_csrf_and_ends_the_session(client: TestClient, state: TestServices) -> None:
    acct = make_account(state)
    sign_in(client, acct.auth_id, acct.token)
    home = client.get("/console/home")
    assert client.post("/console/logout", data={}).status_code == 403
    assert client.get("/console/home").status_code == 200
    r = client.post("/console/logout", data={"csrf": csrf(home)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/login"
    assert client.get("/console/home", follow_redirects=False).status_code == 303
    assert 'data-testid="flash"' in client.get("/console/login").text


def test_sign_in_rotates_the_csrf_token(client: TestClient, state: TestServices) -> None:
    acct = make_account(state)
    before = csrf(client.get("/console/login"))
    sign_in(client, acct.auth_id, acct.token)
    assert csrf(client.get("/console/home")) != before


def test_failures_are_throttled_per_address_whatever_was_wrong(
    client: TestClient, state: TestServices
) -> None:
    acct = make_account(state)
    for i in range(10):
        wrong = ("", "x") if i % 2 else (acct.auth_id, "x")
        assert sign_in(client, *wrong).status_code == 401
    r = sign_in(client, acct.auth_id, acct.token)  # right, but too late
    assert r.status_code == 429
    assert client.get("/console/home", follow_redirects=False).status_code == 303


def test_api_requests_carry_no_console_cookie(client: TestClient, state: TestServices) -> None:
    acct = make_account(state)
    r = client.get(f"/api/v1/Account/{acct.auth_id}/numbers", headers=acct.headers)
    assert r.status_code == 200 and "set-cookie" not in r.headers
    # a console cookie sent to the API is not a credential there
    sign_in(client, acct.auth_id, acct.token)
    assert client.get(f"/api/v1/Account/{acct.auth_id}/numbers").status_code == 401


def test_console_pages_are_not_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith(("/console", "/docs", "/redoc"))]


def test_pages_carry_security_headers(client: TestClient) -> None:
    r = client.get("/console/login")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-store"


def test_the_console_adds_no_middleware_and_comes_after_the_api(client: TestClient) -> None:
    app = client.app
    assert [m.cls.__name__ for m in app.user_middleware] == [  # type: ignore[attr-defined]
        "CanonicalPaths",
        "RequestObservability",
        "Limits",
        "IdempotencyMiddleware",
    ]  # the API's own, none of the console's
    paths = [  # FastAPI keeps an included router as one entry: its prefix tells where it goes
        getattr(r, "path", "") or getattr(getattr(r, "original_router", None), "prefix", "")
        for r in app.routes  # type: ignore[attr-defined]
    ]
    last_api = max(i for i, p in enumerate(paths) if p.startswith("/api/"))
    first_console = min(i for i, p in enumerate(paths) if p.startswith(("/console", "/docs")))
    assert last_api < first_console


def test_cookie_is_secure_over_https(client: TestClient, state: TestServices) -> None:
    acct = make_account(state)
    client.base_url = client.base_url.copy_with(scheme="https")
    r = sign_in(client, acct.auth_id, acct.token)
    assert r.status_code == 303 and "Secure" in r.headers["set-cookie"]


def test_rotating_the_token_ends_console_sessions(client: TestClient, state: TestServices) -> None:
    acct = make_account(state)
    sign_in(client, acct.auth_id, acct.token)
    assert client.get("/console/home").status_code == 200
    state.accounts.rotate_token(CLI, acct.auth_id)
    r = client.get("/console/home", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/login"
