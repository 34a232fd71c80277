"""Every staff page and API call refuses anonymous users and too low a role; every
state-changing request without a CSRF token is refused."""

from __future__ import annotations

import re

import pytest

from gallery.core.states import Role
from tests.helpers.accounts import csrf_of, sign_in

LOWER = {"admin": "editor", "editor": "staff"}


def _routes(app):
    """(method, concrete url, role the view requires or None) for every route."""
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        url = re.sub(r"<int:\w+>", "1", rule.rule)
        url = re.sub(r"<(?:\w+:)?\w+>", "x", url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, url, getattr(view, "required_role", None)


def test_every_staff_page_requires_a_role(app):
    behind = ("/staff", "/account")
    open_staff = [(m, u) for m, u, role in _routes(app) if u.startswith(behind) and role is None]
    assert not open_staff, f"staff and account routes without require_role: {open_staff}"


# The routes of issue 15 (password, sessions, two-factor sign-in, single sign-on) and the
# role each needs (None: open, as signing in must be); the tests above try each of them
# anonymously, with too low a role and without the CSRF token.
ACCOUNT_ROUTES = {
    ("GET", "/account"): "staff",
    ("POST", "/account/password"): "staff",
    ("POST", "/account/sessions/end"): "staff",
    ("GET", "/account/2fa"): "staff",
    ("POST", "/account/2fa"): "staff",
    ("GET", "/account/2fa/qr.svg"): "staff",
    ("POST", "/account/2fa/off"): "staff",
    ("POST", "/account/2fa/codes"): "staff",
    ("POST", "/staff/users/1/sessions/end"): "admin",
    ("POST", "/staff/users/1/reset-link"): "admin",
    ("POST", "/staff/users/1/2fa/off"): "admin",
    ("GET", "/staff/sso"): "admin",
    ("POST", "/staff/sso"): "admin",
    ("POST", "/staff/sso/domains"): "admin",
    ("POST", "/staff/sso/domains/remove"): "admin",
    ("GET", "/login/2fa"): None,
    ("POST", "/login/2fa"): None,
    ("GET", "/login/sso"): None,
    ("GET", "/login/sso/callback"): None,
    ("GET", "/reset/x"): None,
    ("POST", "/reset/x"): None,
}


def test_the_account_routes_carry_their_roles(app):
    routes = {(m, u): role for m, u, role in _routes(app)}
    assert {key: routes.get(key, "missing") for key in ACCOUNT_ROUTES} == ACCOUNT_ROUTES


def test_open_account_routes_give_nothing_away(client, users):
    """The open ones, anonymously: no pending sign-in, no provider, no such link."""
    assert client.get("/login/2fa").status_code == 302  # back to the password
    token = csrf_of(client)
    assert (
        client.post("/login/2fa", data={"csrf_token": token, "code": "123456"}).status_code == 302
    )
    assert client.get("/login/sso").status_code == 404  # no provider set
    assert client.get("/login/sso/callback?code=x&state=y").status_code == 404
    assert client.get("/reset/x").status_code == 404
    reset = client.post("/reset/x", data={"csrf_token": token, "new": "a" * 12, "again": "a" * 12})
    assert reset.status_code == 404


def test_anonymous_callers_are_refused_everywhere_a_role_is_needed(app, client):
    token = csrf_of(client)  # a valid token: the refusal must come from the missing user
    checked = 0
    for method, url, role in _routes(app):
        if role is None:
            continue
        response = client.open(url, method=method, json={}, headers={"X-CSRF-Token": token})
        expected = 401 if url.startswith("/api/") else 302
        assert response.status_code == expected, (method, url, response.status_code)
        checked += 1
    assert checked > 30


@pytest.mark.parametrize("role", ["admin", "editor"])
def test_too_low_a_role_is_refused(app, client, users, role):
    sign_in(client, *users[LOWER[role]])
    with client.session_transaction() as session:
        token = session["csrf"]
    needing = [(m, u) for m, u, r in _routes(app) if r and Role(r).includes(Role(role))]
    assert needing
    for method, url in needing:
        response = client.open(url, method=method, json={}, headers={"X-CSRF-Token": token})
        assert response.status_code == 403, (method, url, response.status_code)


def test_state_changing_requests_need_the_csrf_token(app, client, users):
    sign_in(client, *users["admin"])
    for method, url, _role in _routes(app):
        if method in ("GET",) or url == "/login":
            continue
        response = client.open(url, method=method, json={})
        assert response.status_code == 400, (method, url, response.status_code)
