"""Every staff page and API call refuses anonymous users and too low a role; every
state-changing request without a CSRF token is refused."""

from __future__ import annotations

import re

import pytest
from conftest import csrf_of, sign_in

from gallery.accounts.users import RANK

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
    open_staff = [(m, u) for m, u, role in _routes(app) if u.startswith("/staff") and role is None]
    assert not open_staff, f"staff routes without require_role: {open_staff}"


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
    needing = [(m, u) for m, u, r in _routes(app) if r and RANK[r] >= RANK[role]]
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
