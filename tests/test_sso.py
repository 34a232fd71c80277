"""Single sign-on, end to end: `gallery serve` and a real OpenID Connect provider process
(the certified oidc-provider package under Debian's nodejs, tests/oidc/), driven over HTTP
by a client that follows redirects and posts the provider's sign-in and consent forms as a
browser would. Nothing is patched: the gallery discovers the provider, sends the browser
there, exchanges the code and checks the ID token against the provider's keys.

The provider's accounts (tests/oidc/provider.js): teacher and newcomer of school.lv,
verified; `unverified` claims admin@school.lv unverified; outsider is of another domain.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from sqlalchemy import create_engine, select

from gallery.core.models import AuditEvent
from tests.helpers import databases
from tests.helpers.servers import free_port, gallery, server_errors, serving

pytestmark = pytest.mark.slow  # two servers

OIDC = Path(__file__).parent / "oidc"
CLIENT_ID, CLIENT_SECRET = "gallery", "a-test-client-secret"


@contextmanager
def provider(port: int, redirect_uri: str) -> Iterator[str]:
    """The OpenID provider on `port` for the duration; yields its issuer URL."""
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None or not (OIDC / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("nodejs or tests/oidc/node_modules is missing: run scripts/setup test")
    command = [node, "provider.js", str(port), CLIENT_ID, CLIENT_SECRET, redirect_uri]
    process = subprocess.Popen(
        command, cwd=OIDC, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        line = process.stdout.readline() if process.stdout else ""
        assert line.startswith("listening "), f"the provider did not start: {line!r}"
        yield line.split()[1]
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """The gallery with SSO set up by its CLI, and the provider: (gallery URL, data dir)."""
    data = tmp_path_factory.mktemp("sso") / "data"
    gallery(data, "init")
    add = ["users", "add", "teacher@school.lv", "--role", "editor", "--password-stdin"]
    gallery(data, *add, stdin="teacher-password-1")
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    sso_set = ["sso", "set", "--issuer", issuer, "--client-id", CLIENT_ID, "--client-secret-stdin"]
    gallery(data, *sso_set, stdin=CLIENT_SECRET)
    gallery(data, "sso", "allow", "school.lv", "--role", "staff")
    with serving(data) as url, provider(port, f"{url}/login/sso/callback"):
        yield url, data
    assert not server_errors(data)


class Forms(HTMLParser):
    """The forms of a page: [(action, {name: value of each input})]."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "form":
            self.forms.append((found.get("action") or "", {}))
        elif tag == "input" and self.forms and found.get("name"):
            self.forms[-1][1][found["name"]] = found.get("value") or ""


def _forms(response: requests.Response) -> list[tuple[str, dict[str, str]]]:
    parser = Forms()
    parser.feed(response.text)
    return parser.forms


def sso_sign_in(url: str, account: str) -> tuple[requests.Session, requests.Response]:
    """Click "sign in with your school account", sign in at the provider as `account` and
    consent: the browser and the gallery's last answer."""
    browser = _browser()
    page = browser.get(f"{url}/login", timeout=10)
    assert page.status_code == 200 and "/login/sso" in page.text  # the button is there
    page = browser.get(f"{url}/login/sso", timeout=10)
    for step in ("login", "consent"):
        forms = [f for f in _forms(page) if f[1].get("prompt") == step]
        if not forms:
            break  # consent given before: the provider went straight back
        action, fields = forms[0]
        if step == "login":
            fields.update(login=account, password="anything")
        page = browser.post(urljoin(page.url, action), data=fields, timeout=10)
    return browser, page


def _browser() -> requests.Session:
    """A client that follows redirects, keeps cookies and reads English."""
    browser = requests.Session()
    browser.headers["Accept-Language"] = "en"
    return browser


def _me(browser: requests.Session, url: str) -> requests.Response:
    return browser.get(f"{url}/api/v1/me", timeout=10)


def test_a_verified_teacher_signs_in_to_their_account(site):
    url, _data = site
    browser, last = sso_sign_in(url, "teacher")
    assert last.status_code == 200 and last.url.startswith(f"{url}/staff/"), last.url
    me = _me(browser, url)
    assert me.status_code == 200
    assert me.json() == {"email": "teacher@school.lv", "role": "editor"}  # keeps its own role


def test_an_address_in_other_case_is_the_same_account(site):
    url, _data = site
    browser, _last = sso_sign_in(url, "shouting")
    assert _me(browser, url).json()["email"] == "teacher@school.lv"


def test_a_new_verified_address_of_an_allowed_domain_gets_the_domains_role(site):
    url, data = site
    browser, _last = sso_sign_in(url, "newcomer")
    assert _me(browser, url).json() == {"email": "newcomer@school.lv", "role": "staff"}
    listed = gallery(data, "users", "list")
    assert "newcomer@school.lv" in listed
    # the account has no password: it signs in through the provider only
    form = _browser()
    csrf = _forms(form.get(f"{url}/login", timeout=10))[-1][1]["csrf_token"]
    for password in ("", "!"):  # "!" is what its password hash says: matches nothing
        tried = {"csrf_token": csrf, "email": "newcomer@school.lv", "password": password}
        assert form.post(f"{url}/login", data=tried, timeout=10).status_code == 401


def test_an_unverified_address_is_refused_even_an_admins(site):
    url, data = site
    gallery(data, "users", "add", "admin@school.lv", "--role", "admin", "--password-stdin",
            stdin="admin-password-123")  # fmt: skip
    browser, last = sso_sign_in(url, "unverified")
    assert last.status_code == 403 and "not verified this e-mail address" in last.text
    assert _me(browser, url).status_code == 401


def test_an_address_of_a_domain_not_allowed_is_refused(site):
    url, data = site
    browser, last = sso_sign_in(url, "outsider")
    assert last.status_code == 403 and "elsewhere.example may not sign in here" in last.text
    assert _me(browser, url).status_code == 401
    assert "someone@elsewhere.example" not in gallery(data, "users", "list")


def test_the_way_back_cannot_be_replayed(site):
    url, _data = site
    browser = _browser()
    first = browser.get(f"{url}/login/sso", timeout=10, allow_redirects=False)
    state = first.headers["Location"].split("state=")[1].split("&")[0]
    forged = browser.get(f"{url}/login/sso/callback?code=made-up&state={state}x", timeout=10)
    assert forged.status_code == 403
    again = browser.get(f"{url}/login/sso/callback?code=made-up&state={state}", timeout=10)
    assert again.status_code == 403  # the state was used up by the first try
    assert _me(browser, url).status_code == 401


def test_sso_sign_ins_and_refusals_are_in_the_audit_log(site):
    url, data = site
    sso_sign_in(url, "teacher")
    sso_sign_in(url, "outsider")
    engine = create_engine(databases.database_url(data))  # SQLite or the run's PostgreSQL
    with engine.connect() as connection:
        actions = connection.execute(select(AuditEvent.action, AuditEvent.details)).all()
    engine.dispose()
    assert ("user.sign_in", "sso") in [(a, d.get("via")) for a, d in actions]
    assert ("user.sso_refused", "domain") in [(a, d.get("reason")) for a, d in actions]
