"""Signing a Flask test client in, with the CSRF token its session holds."""

from __future__ import annotations


def csrf_of(client) -> str:
    """The CSRF token of the client's session (fetching the sign-in form makes one)."""
    client.get("/login")
    with client.session_transaction() as session:
        return session["csrf"]


def sign_in(client, email: str, password: str):
    token = csrf_of(client)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


STAFF = ("staff@school.lv", "staff-password-123")


def add_staff(runner) -> str:
    """A staff user added by `gallery users add` through the app's CLI runner; a new API
    token of theirs."""
    from tests.helpers.cli import invoke

    invoke(runner, "users", "add", STAFF[0], "--role", "staff", "--password-stdin", input=STAFF[1])
    return invoke(runner, "users", "token", STAFF[0]).output.strip()
