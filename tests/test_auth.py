"""Accounts: sign-in, rate limits, CSRF, roles, API tokens."""

from __future__ import annotations

from sqlalchemy import select

from gallery.core.models import ApiToken
from tests.helpers.accounts import csrf_of, sign_in
from tests.helpers.cli import invoke


def test_sign_in_and_out(client, users):
    email, password = users["staff"]
    response = sign_in(client, email, password)
    assert response.status_code == 302 and response.location.endswith("/staff/")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert b"staff@school.lv" in client.get("/staff/").data
    assert client.post("/logout", data={"csrf_token": csrf_of(client)}).status_code == 302
    assert client.get("/staff/").status_code == 302


def test_wrong_password_and_unknown_account_look_the_same(client, users):
    email, _ = users["staff"]
    wrong = sign_in(client, email, "not-the-password")
    unknown = sign_in(client, "nobody@school.lv", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert b"Wrong email or password." in wrong.data
    assert wrong.data.replace(b"staff@", b"X@") == unknown.data.replace(b"nobody@", b"X@")


def test_sign_in_pauses_after_repeated_failures(client, users):
    email, password = users["editor"]
    for _ in range(5):
        assert sign_in(client, email, "wrong-password-x").status_code == 401
    paused = sign_in(client, email, password)
    assert paused.status_code == 429
    assert b"Too many failed sign-ins" in paused.data  # the app speaks English (LANGUAGE)


def test_posts_without_csrf_token_are_refused(client, users):
    email, password = users["admin"]
    csrf_of(client)  # the session has a token: it is the form's missing field that is refused
    response = client.post("/login", data={"email": email, "password": password})
    # A page of the site that says what happened: the page was open too long (reload it).
    assert response.status_code == 400 and b"The page was open too long" in response.data
    assert client.get("/staff/").status_code == 302  # not signed in
    assert sign_in(client, email, password).status_code == 302
    refused = client.post("/staff/albums", data={"slug": "x", "title": "X"})
    assert refused.status_code == 400 and b"The page was open too long" in refused.data
    assert client.get("/staff/albums/x").status_code == 404  # no album was made


def test_roles_are_enforced(client, users):
    assert client.get("/staff/").status_code == 302  # anonymous: to the sign-in page
    sign_in(client, *users["staff"])
    assert client.get("/staff/").status_code == 200
    assert client.get("/staff/users").status_code == 403
    assert client.get("/staff/audit").status_code == 403


def test_next_is_never_an_open_redirect(client, users):
    token = csrf_of(client)
    email, password = users["staff"]
    data = {"email": email, "password": password, "csrf_token": token}
    response = client.post("/login?next=https://evil.example/", data=data)
    assert response.location.endswith("/staff/")


def test_api_tokens_authenticate_and_can_be_revoked(client, runner, users):
    token = invoke(runner, "users", "token", "editor@school.lv").output.strip()
    assert token.startswith("glt_")
    headers = {"Authorization": f"Bearer {token}"}
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200 and me.json == {"email": "editor@school.lv", "role": "editor"}
    assert client.get("/api/v1/me").status_code == 401
    bad = client.get("/api/v1/me", headers={"Authorization": "Bearer glt_wrong"})
    assert bad.status_code == 401 and bad.json["error"]["code"] == "unauthorized"
    assert invoke(runner, "users", "revoke-token", "1").output == "revoked token 1\n"
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_admin_manages_users_in_the_ui(client, users):
    sign_in(client, *users["admin"])
    token = csrf_of(client)
    data = {
        "email": "new@school.lv",
        "role": "staff",
        "password": "a-long-password",
        "csrf_token": token,
    }
    assert client.post("/staff/users", data=data).status_code == 302
    page = client.get("/staff/users").get_data(as_text=True)
    assert "new@school.lv" in page
    audit = client.get("/staff/audit").get_data(as_text=True)
    assert "user.add" in audit and "admin@school.lv" in audit


def test_a_token_use_is_noted_to_the_minute(app, client, runner, users):
    def last_used():
        with app.extensions["gallery.db"]() as session:
            return session.scalar(select(ApiToken.last_used_at))

    token = invoke(runner, "users", "token", "staff@school.lv").output.strip()
    headers = {"Authorization": f"Bearer {token}"}
    assert last_used() is None
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    noted = last_used()
    assert noted is not None
    # Within the minute no second write: reads with a token never queue behind writers.
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert last_used() == noted


def test_next_with_a_backslash_or_control_character_is_no_redirect_either(client, users):
    """Browsers read `/\\host` as `//host`, and drop tabs and newlines from URLs."""
    email, password = users["staff"]
    for target in ("/\\evil.example/", "/\t/evil.example/", "/\n/evil.example/"):
        data = {"email": email, "password": password, "csrf_token": csrf_of(client)}
        response = client.post("/login", query_string={"next": target}, data=data)
        assert response.status_code == 302, target
        assert response.location.endswith("/staff/"), (target, response.location)
