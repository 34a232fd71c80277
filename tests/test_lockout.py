"""Lockout that holds: failures are paused per (account, address) pair, with a higher
ceiling per address, and a full disk never lets guessing go on uncounted."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.helpers.accounts import csrf_of
from tests.helpers.apps import migrated_app
from tests.helpers.disks import empty_the_write_ahead_log, filled, small_disk

pytestmark = pytest.mark.usefixtures("users")

SCHOOL_NAT = "192.0.2.10"  # every pupil and teacher of one school, as the gallery sees them
HOME = "198.51.100.7"


def _try(client, email: str, password: str, address: str):
    token = csrf_of(client)
    data = {"email": email, "password": password, "csrf_token": token}
    return client.post("/login", data=data, environ_base={"REMOTE_ADDR": address})


def test_one_accounts_failures_do_not_lock_out_the_school(app, users):
    guesser, teacher = app.test_client(), app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert _try(guesser, "editor@school.lv", "wrong-password-x", SCHOOL_NAT).status_code == 401
    assert _try(guesser, *users["editor"], SCHOOL_NAT).status_code == 429  # this pair waits
    assert _try(teacher, *users["staff"], SCHOOL_NAT).status_code == 302  # the next desk not


def test_a_paused_pair_leaves_the_account_open_from_elsewhere(app, users):
    guesser, owner = app.test_client(), app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        _try(guesser, "editor@school.lv", "wrong-password-x", SCHOOL_NAT)
    assert _try(guesser, *users["editor"], SCHOOL_NAT).status_code == 429
    assert _try(owner, *users["editor"], HOME).status_code == 302


@pytest.mark.slow  # many sign-ins, each a scrypt check
def test_an_address_that_tries_many_accounts_is_paused_at_its_ceiling(app, users):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 12
    client = app.test_client()
    for n in range(12):  # two guesses each at six accounts: no pair reaches its limit
        assert _try(client, f"user{n // 2}@school.lv", "wrong-password-x", HOME).status_code == 401
    assert _try(client, *users["staff"], HOME).status_code == 429
    assert _try(app.test_client(), *users["staff"], SCHOOL_NAT).status_code == 302


def test_a_pause_answers_the_same_for_the_right_and_a_wrong_password(app, users):
    client = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        _try(client, "staff@school.lv", "wrong-password-x", HOME)
    right = _try(client, *users["staff"], HOME)
    wrong = _try(client, "staff@school.lv", "wrong-password-y", HOME)
    assert right.status_code == wrong.status_code == 429
    assert right.data == wrong.data


def test_guesses_sent_at_once_are_counted_before_any_is_checked(app, users):
    """Twenty guesses at once: only the first LOGIN_MAX_FAILURES counted are checked."""

    def guess(n: int) -> int:
        return _try(app.test_client(), "staff@school.lv", f"wrong-guess-{n}", HOME).status_code

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(guess, range(20)))
    assert answers.count(401) == app.config["LOGIN_MAX_FAILURES"], answers
    assert answers.count(429) == 20 - app.config["LOGIN_MAX_FAILURES"], answers


@pytest.mark.slow
def test_a_full_disk_stops_guessing(tmp_path):
    """On a full database disk no password is checked: the right and a wrong one answer
    alike (503), nobody is signed in, and sign-in works again once there is room."""
    with (
        small_disk(tmp_path / "db", 2048) as disk,
        migrated_app(
            tmp_path / "data", DATABASE_URL=f"sqlite:///{disk / 'g.sqlite3'}", LANGUAGE="en"
        ) as app,
    ):
        runner = app.test_cli_runner()
        add = ["users", "add", "staff@school.lv", "--role", "staff", "--password-stdin"]
        assert runner.invoke(args=add, input="staff-password-123").exit_code == 0
        client = app.test_client()
        csrf_of(client)  # the form, before the disk fills
        empty_the_write_ahead_log(Path(disk / "g.sqlite3"))
        with filled(disk):
            answers = [
                _try(client, "staff@school.lv", password, HOME)
                for password in ["wrong-password-1", "staff-password-123"] * 4
            ]
            assert {a.status_code for a in answers} == {503}, [a.status_code for a in answers]
            assert len({a.data for a in answers}) == 1
            assert client.get("/api/v1/me").status_code == 401
        assert _try(client, "staff@school.lv", "staff-password-123", HOME).status_code == 302
