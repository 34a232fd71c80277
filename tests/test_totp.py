"""Two-factor sign-in: enrolment with a QR code drawn here, the second step at sign-in,
codes good once, recovery codes shown once and good once, required for admins by a setting."""

from __future__ import annotations

import re
import time

import pyotp
import pytest

from tests.helpers.accounts import csrf_of, sign_in
from tests.helpers.cli import invoke

pytestmark = pytest.mark.usefixtures("users")


def _enrol(client) -> tuple[str, list[str]]:
    """Set up two-factor sign-in for the signed-in client: (secret, recovery codes)."""
    page = client.get("/account/2fa")
    assert page.status_code == 200
    secret = re.search(r"<code>([A-Z2-7]{16,})</code>", page.text).group(1)
    qr = client.get("/account/2fa/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml" and b"<svg" in qr.data
    # The current step's code: the server takes the step either side too, so a request that
    # crosses into the next step on a busy machine still gets through.
    code = pyotp.TOTP(secret).now()
    done = client.post("/account/2fa", data={"csrf_token": csrf_of(client), "code": code})
    assert done.status_code == 200, done.text
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", done.text)
    assert len(codes) == 10
    return secret, codes


def _second_step(client, code: str):
    return client.post("/login/2fa", data={"csrf_token": csrf_of(client), "code": code})


def _enrolled(app, users, role="staff"):
    client = app.test_client()
    sign_in(client, *users[role])
    return _enrol(client)


def test_the_enrolment_page_draws_its_own_qr_code_and_needs_a_right_code(app, users):
    client = app.test_client()
    sign_in(client, *users["staff"])
    page = client.get("/account/2fa").text
    assert 'src="/account/2fa/qr.svg"' in page  # our own route: no outside service
    wrong = client.post("/account/2fa", data={"csrf_token": csrf_of(client), "code": "000000"})
    assert wrong.status_code == 400
    assert client.get("/account").text.count("Off.") == 1


def test_sign_in_asks_for_the_code_and_takes_each_code_once(app, users):
    secret, _codes = _enrolled(app, users)
    client = app.test_client()
    first = sign_in(client, *users["staff"])
    assert first.status_code == 302 and first.location.endswith("/login/2fa")
    assert client.get("/api/v1/me").status_code == 401  # not signed in yet
    assert _second_step(client, "000000").status_code == 401
    code = pyotp.TOTP(secret).now()
    assert _second_step(client, code).status_code == 302
    assert client.get("/api/v1/me").status_code == 200
    again = app.test_client()  # the same code, seen over a shoulder
    sign_in(again, *users["staff"])
    assert _second_step(again, code).status_code == 401


def test_a_recovery_code_works_once(app, users):
    _secret, codes = _enrolled(app, users)
    client = app.test_client()
    sign_in(client, *users["staff"])
    assert _second_step(client, codes[0].upper()).status_code == 302
    other = app.test_client()
    sign_in(other, *users["staff"])
    assert _second_step(other, codes[0]).status_code == 401
    assert _second_step(other, codes[1]).status_code == 302


def test_wrong_codes_are_counted(app, users):
    _enrolled(app, users)
    client = app.test_client()
    sign_in(client, *users["staff"])
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert _second_step(client, "000000").status_code == 401
    assert _second_step(client, "000000").status_code == 429


def test_turning_it_off_needs_a_code(app, users):
    secret, _codes = _enrolled(app, users)
    client = app.test_client()
    sign_in(client, *users["staff"])
    _second_step(client, pyotp.TOTP(secret).now())
    token = csrf_of(client)
    assert (
        client.post("/account/2fa/off", data={"csrf_token": token, "code": "1"}).status_code == 400
    )
    code = pyotp.TOTP(secret).at(time.time() + 30)  # the next step's: the current one is used
    assert (
        client.post("/account/2fa/off", data={"csrf_token": token, "code": code}).status_code == 302
    )
    assert sign_in(app.test_client(), *users["staff"]).location.endswith("/staff/")


def test_an_admin_turns_off_a_users_two_factor(app, users):
    _enrolled(app, users, "editor")
    admin = app.test_client()
    sign_in(admin, *users["admin"])
    page = admin.get("/staff/users").text
    user_id = re.search(r"/staff/users/(\d+)/2fa/off", page).group(1)
    done = admin.post(f"/staff/users/{user_id}/2fa/off", data={"csrf_token": csrf_of(admin)})
    assert done.status_code == 302
    assert sign_in(app.test_client(), *users["editor"]).location.endswith("/staff/")


def test_admins_must_set_it_up_when_the_setting_says_so(app, runner, users):
    invoke(runner, "albums", "create", "draft-news", "--title", "Draft")
    app.config["ADMIN_2FA_REQUIRED"] = True
    admin = app.test_client()
    assert sign_in(admin, *users["admin"]).status_code == 302
    held = admin.get("/staff/users")
    assert held.status_code == 302 and held.location.endswith("/account/2fa")
    assert admin.get("/api/v1/me").status_code == 403
    assert admin.get("/albums/draft-news").status_code == 404  # sees what visitors see
    editor = app.test_client()
    sign_in(editor, *users["editor"])
    assert editor.get("/staff/").status_code == 200  # only admins
    _enrol(admin)
    assert admin.get("/staff/users").status_code == 200
    assert admin.get("/albums/draft-news").status_code == 200
