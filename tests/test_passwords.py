"""Passwords: the rules a new one meets, changing one's own (web and CLI), and an admin's
one-time reset link (shown once, expires, single use)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from gallery.accounts import passwords
from gallery.core.errors import InvalidInput
from gallery.core.models import AuditEvent, PasswordReset, utcnow
from tests.helpers.accounts import csrf_of, sign_in
from tests.helpers.cli import invoke

pytestmark = pytest.mark.usefixtures("users")

NEW = "a quiet lake at dawn"


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short1", "at least 10 characters"),
        ("qwertyuiop", "most common"),
        ("Password123", "most common"),
        ("parole12345", "most common"),
        ("abababababab", "too few characters"),
        ("x" * 501, "at most 500 characters"),
        ("teacher@school.lv", "not be the email"),
    ],
)
def test_weak_passwords_are_refused(password, why):
    with pytest.raises(InvalidInput, match=why):
        passwords.check_new(password, "teacher@school.lv")


def test_the_common_list_is_shipped_and_large():
    common = passwords.common_passwords()
    assert len(common) > 10_000 and {"123456", "password", "qwertyuiop"} <= common


def test_a_user_cannot_be_added_with_a_common_password(runner):
    add = ("users", "add", "new@school.lv", "--role", "staff", "--password-stdin")
    refused = invoke(runner, *add, input="1234567890", exit_code=1)
    assert "most common" in refused.output


def _audit(app) -> list[str]:
    with app.extensions["gallery.db"]() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_changing_ones_password_needs_the_current_one_and_ends_the_other_sessions(app, users):
    email, old = users["editor"]
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, email, old), sign_in(phone, email, old)
    token = csrf_of(laptop)
    wrong = {"csrf_token": token, "current": "not-it-at-all", "new": NEW, "again": NEW}
    refused = laptop.post("/account/password", data=wrong)
    assert refused.status_code == 400 and "current password is wrong" in refused.text
    common = {"csrf_token": token, "current": old, "new": "qwertyuiop", "again": "qwertyuiop"}
    assert laptop.post("/account/password", data=common).status_code == 400
    right = {"csrf_token": token, "current": old, "new": NEW, "again": NEW}
    assert laptop.post("/account/password", data=right).status_code == 302
    assert laptop.get("/api/v1/me").status_code == 200  # this session stays
    assert phone.get("/api/v1/me").status_code == 401  # the others end
    assert sign_in(app.test_client(), email, old).status_code == 401
    assert sign_in(app.test_client(), email, NEW).status_code == 302
    assert "user.password_change" in _audit(app)


def test_wrong_current_passwords_are_counted_like_sign_ins(app, users):
    client = app.test_client()
    sign_in(client, *users["staff"])
    token = csrf_of(client)
    wrong = {"csrf_token": token, "current": "not-it-at-all", "new": NEW, "again": NEW}
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert client.post("/account/password", data=wrong).status_code == 400
    assert client.post("/account/password", data=wrong).status_code == 429


def test_changing_ones_password_on_the_command_line(app, runner, users):
    email, old = users["staff"]
    wrong = invoke(
        runner, "users", "password", email, "--password-stdin", input=f"nope\n{NEW}\n", exit_code=1
    )
    assert "current password is wrong" in wrong.output
    done = invoke(runner, "users", "password", email, "--password-stdin", input=f"{old}\n{NEW}\n")
    assert "password changed" in done.output
    assert sign_in(app.test_client(), email, NEW).status_code == 302


def _reset_link(app, users, email: str) -> str:
    admin = app.test_client()
    sign_in(admin, *users["admin"])
    page = admin.get("/staff/users").text
    user_id = page.split(email)[1].split("/staff/users/")[1].split("/")[0].split('"')[0]
    made = admin.post(f"/staff/users/{user_id}/reset-link", data={"csrf_token": csrf_of(admin)})
    assert made.status_code == 200
    return made.text.split('class="reset-link">')[1].split("<")[0]


def test_an_admins_reset_link_works_once(app, users):
    email, old = users["staff"]
    victim_browser = app.test_client()
    sign_in(victim_browser, email, old)
    link = _reset_link(app, users, email)
    path = link.removeprefix("http://localhost")
    assert path.startswith("/reset/")
    client = app.test_client()
    assert client.get(path).status_code == 200  # opening it uses nothing up
    assert client.get(path).status_code == 200
    data = {"csrf_token": csrf_of(client), "new": NEW, "again": NEW}
    assert client.post(path, data=data).status_code == 302
    assert victim_browser.get("/api/v1/me").status_code == 401  # every session ended
    assert sign_in(app.test_client(), email, NEW).status_code == 302
    assert client.get(path).status_code == 404  # used
    again = {**data, "csrf_token": csrf_of(client)}
    assert client.post(path, data=again).status_code == 404
    assert {"user.reset_link", "user.password_reset"} <= set(_audit(app))


def test_a_reset_link_expires_and_a_newer_one_replaces_it(app, users):
    email, _ = users["editor"]
    first = _reset_link(app, users, email).removeprefix("http://localhost")
    second = _reset_link(app, users, email).removeprefix("http://localhost")
    client = app.test_client()
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200
    with app.extensions["gallery.db.writes"]() as session, session.begin():
        session.execute(update(PasswordReset).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert client.get(second).status_code == 404


def test_a_reset_link_still_checks_the_new_password(app, users):
    path = _reset_link(app, users, users["staff"][0]).removeprefix("http://localhost")
    client = app.test_client()
    data = {"csrf_token": csrf_of(client), "new": "1234567890", "again": "1234567890"}
    refused = client.post(path, data=data)
    assert refused.status_code == 400 and "most common" in refused.text
    assert client.get(path).status_code == 200  # a refused try does not use the link up


def test_the_command_line_prints_a_reset_link(app, runner, users):
    printed = invoke(runner, "users", "reset-link", users["staff"][0]).stdout.splitlines()[0]
    assert printed.startswith("/reset/")
    assert app.test_client().get(printed).status_code == 200
