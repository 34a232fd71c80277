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
