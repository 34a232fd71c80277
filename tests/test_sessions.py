"""Sessions that end: a cookie is only as good as its session on the server.

A cookie copied before sign-out, deactivation, a role change or a password change must
not work after it; "sign out everywhere" and an admin's "end sessions" end every session
of the user; idle and absolute lifetimes end the rest.
"""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from sqlalchemy import update

from gallery.core.models import User, UserSession, utcnow
from tests.helpers.accounts import csrf_of, sign_in

pytestmark = pytest.mark.usefixtures("users")


def _saved(client) -> tuple[str, str]:
    """The client's session cookie and its CSRF token, as an attacker would copy them."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    with client.session_transaction() as session:
        return cookie.value, session["csrf"]


def _replay(app, saved: tuple[str, str]):
    """A fresh client carrying a copied cookie: (its /api/v1/me status, album create status)."""
    other = app.test_client()
    other.set_cookie("session", saved[0])
    me = other.get("/api/v1/me").status_code
    body = {"slug": "replayed", "title": "Replayed"}
    made = other.post("/api/v1/albums", json=body, headers={"X-CSRF-Token": saved[1]})
    return me, made.status_code


def _signed_in(app, users, role: str):
    client = app.test_client()
    assert sign_in(client, *users[role]).status_code == 302
    return client


def _admin_post(app, users, path: str, data: dict):
    admin = _signed_in(app, users, "admin")
    return admin.post(path, data={**data, "csrf_token": csrf_of(admin)})


def _user_id(app, email: str) -> int:
    with app.extensions["gallery.db"]() as session:
        user = User.by_email(session, email)
        assert user is not None
        return user.id


def test_a_cookie_saved_before_sign_out_is_dead_after_it(app, users):
    client = _signed_in(app, users, "staff")
    saved = _saved(client)
    assert _replay(app, saved)[0] == 200  # the copy works while the session lives
    assert client.post("/logout", data={"csrf_token": saved[1]}).status_code == 302
    assert _replay(app, saved) == (401, 401)


def test_deactivation_ends_sessions_for_good(app, users):
    client = _signed_in(app, users, "staff")
    saved = _saved(client)
    user_id = _user_id(app, "staff@school.lv")
    off = _admin_post(app, users, f"/staff/users/{user_id}", {"role": "staff"})
    assert off.status_code == 302
    assert _replay(app, saved) == (401, 401)
    on = _admin_post(app, users, f"/staff/users/{user_id}", {"role": "staff", "active": "on"})
    assert on.status_code == 302
    assert _replay(app, saved) == (401, 401)  # reactivating brings no old cookie back
    assert _signed_in(app, users, "staff").get("/api/v1/me").status_code == 200


def test_a_role_change_ends_the_users_sessions(app, users):
    client = _signed_in(app, users, "editor")
    saved = _saved(client)
    user_id = _user_id(app, "editor@school.lv")
    changed = _admin_post(app, users, f"/staff/users/{user_id}", {"role": "staff", "active": "on"})
    assert changed.status_code == 302
    assert _replay(app, saved)[0] == 401


def test_saving_a_user_unchanged_ends_nothing(app, users):
    client = _signed_in(app, users, "editor")
    saved = _saved(client)
    user_id = _user_id(app, "editor@school.lv")
    same = _admin_post(app, users, f"/staff/users/{user_id}", {"role": "editor", "active": "on"})
    assert same.status_code == 302
    assert _replay(app, saved)[0] == 200


def test_sign_out_everywhere_ends_every_session_of_the_user(app, users):
    phone, laptop = _signed_in(app, users, "staff"), _signed_in(app, users, "staff")
    admin = _signed_in(app, users, "admin")
    saved_phone, saved_laptop = _saved(phone), _saved(laptop)
    done = laptop.post("/account/sessions/end", data={"csrf_token": saved_laptop[1]})
    assert done.status_code == 302
    assert _replay(app, saved_phone)[0] == 401
    assert _replay(app, saved_laptop)[0] == 401
    assert admin.get("/api/v1/me").status_code == 200  # another user's session lives on


def test_an_admin_ends_another_users_sessions(app, users):
    client = _signed_in(app, users, "editor")
    saved = _saved(client)
    user_id = _user_id(app, "editor@school.lv")
    assert _admin_post(app, users, f"/staff/users/{user_id}/sessions/end", {}).status_code == 302
    assert _replay(app, saved)[0] == 401


def test_the_sessions_page_lists_and_ends_one_session(app, users):
    phone, laptop = _signed_in(app, users, "staff"), _signed_in(app, users, "staff")
    saved_phone = _saved(phone)
    page = laptop.get("/account")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert text.count('name="session_id"') == 1  # the other session; this one signs out
    with app.extensions["gallery.db"]() as session:
        ids = [s.id for s in session.query(UserSession).filter_by(ended_at=None)]
    other = min(ids)  # the phone signed in first
    ended = laptop.post(
        "/account/sessions/end", data={"csrf_token": csrf_of(laptop), "session_id": other}
    )
    assert ended.status_code == 302
    assert _replay(app, saved_phone)[0] == 401
    assert laptop.get("/api/v1/me").status_code == 200


def _age_sessions(app, **ago: timedelta) -> None:
    """Move every session's moments (`created_at`, `last_seen_at`) back by the given times."""
    with app.extensions["gallery.db.writes"]() as session, session.begin():
        values = {column: utcnow() - delta for column, delta in ago.items()}
        session.execute(update(UserSession).values(**values))


def test_an_idle_session_ends(app, users):
    client = _signed_in(app, users, "staff")
    idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1)
    _age_sessions(app, last_seen_at=idle)
    assert client.get("/api/v1/me").status_code == 401


def test_a_session_ends_at_its_absolute_lifetime_however_busy(app, users):
    client = _signed_in(app, users, "staff")
    lifetime = timedelta(hours=app.config["SESSION_MAX_HOURS"], minutes=1)
    _age_sessions(app, created_at=lifetime)
    assert client.get("/api/v1/me").status_code == 401


def test_a_session_in_use_stays(app, users):
    client = _signed_in(app, users, "staff")
    _age_sessions(app, last_seen_at=timedelta(minutes=5), created_at=timedelta(hours=1))
    assert client.get("/api/v1/me").status_code == 200
    with app.extensions["gallery.db"]() as session:
        seen = session.query(UserSession).one().last_seen_at
    assert seen.replace(tzinfo=UTC) > utcnow() - timedelta(minutes=1)  # noted as in use


def test_signing_in_again_starts_a_new_session_and_ends_the_old(app, users):
    client = _signed_in(app, users, "staff")
    first = _saved(client)
    assert sign_in(client, *users["editor"]).status_code == 302
    assert _saved(client)[0] != first[0]
    assert _replay(app, first)[0] == 401  # a copy of the old cookie is no one's way in


def test_ended_and_expired_sessions_are_cleared_out_at_the_next_sign_in(app, users):
    old = _signed_in(app, users, "staff")
    _signed_in(app, users, "staff")
    lifetime = timedelta(hours=app.config["SESSION_MAX_HOURS"], minutes=1)
    _age_sessions(app, created_at=lifetime)
    assert old.post("/logout", data={"csrf_token": csrf_of(old)}).status_code == 302
    _signed_in(app, users, "staff")
    with app.extensions["gallery.db"]() as session:
        assert session.query(UserSession).count() == 1  # only the new one
