"""Single sign-on with OpenID Connect: the provider an admin set, and the e-mail domains
whose verified addresses may sign in, each with the role a new account from it gets.

The flow is the authorization code flow with PKCE, a `state` and a `nonce` (Authlib's
OAuth 2 client); the ID token is checked with joserfc against the provider's published
keys: signature, issuer, audience, expiry and nonce. An account is matched by its e-mail
only when the provider says the address is verified; an address of a domain no admin
allowed, or not verified, is refused.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gallery.accounts import users
from gallery.core.errors import InvalidInput
from gallery.core.messages import N_, message
from gallery.core.models import SsoDomain, SsoProvider, User
from gallery.core.states import Role

if TYPE_CHECKING:  # the HTTP and JOSE clients load on a sign-in, not with every command
    from authlib.integrations.requests_client import OAuth2Session
    from joserfc.jwk import KeySet

TIMEOUT = 10  # seconds for each call to the provider
DISCOVERY_SECONDS = 300  # how long the provider's metadata and keys are kept
SCOPE = "openid email"


class SsoRefused(Exception):
    """The provider's answer cannot sign anyone in: why, in words for the person (`reason`
    is a code for the audit log)."""

    def __init__(self, reason: str, text: str, **values: Any) -> None:
        self.reason, self.words = reason, message(text, **values)
        super().__init__(str(self.words))


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in."""

    subject: str
    email: str
    verified: bool


# --- the settings (admin page and CLI) -----------------------------------------------------


def provider(session: Session) -> SsoProvider | None:
    return session.scalar(select(SsoProvider).order_by(SsoProvider.id).limit(1))


def is_on(session: Session) -> bool:
    found = provider(session)
    return found is not None and found.enabled


def configure(
    session: Session, issuer: str, client_id: str, client_secret: str | None, enabled: bool
) -> SsoProvider:
    """Set the provider (an empty secret keeps the one stored)."""
    issuer = issuer.strip().rstrip("/")
    if not issuer.startswith(("https://", "http://")) or len(issuer) > 500:
        raise InvalidInput(N_("the issuer must be a web address (https://...)"))
    if not client_id.strip() or len(client_id) > 255:
        raise InvalidInput(N_("the client id must not be empty"))
    found = provider(session)
    if found is None:
        if not client_secret:
            raise InvalidInput(N_("the client secret must not be empty"))
        found = SsoProvider(issuer=issuer, client_id=client_id.strip(), client_secret=client_secret)
        session.add(found)
    found.issuer, found.client_id, found.enabled = issuer, client_id.strip(), enabled
    if client_secret:
        found.client_secret = client_secret[:500]
    _discovered.clear()
    return found


def domains(session: Session) -> list[SsoDomain]:
    return list(session.scalars(select(SsoDomain).order_by(SsoDomain.domain)))


def allow_domain(session: Session, domain: str, role: str) -> SsoDomain:
    """Let verified addresses of the domain sign in; new accounts from it get `role`."""
    domain = domain.strip().lower().lstrip("@")
    if not domain or "." not in domain or "@" in domain or len(domain) > 253:
        raise InvalidInput(N_("%(domain)s is not an e-mail domain"), domain=repr(domain[:253]))
    found = session.scalar(select(SsoDomain).where(SsoDomain.domain == domain))
    if found is None:
        found = SsoDomain(domain=domain, role=users.role_of(role))
        session.add(found)
    found.role = users.role_of(role)
    return found


def disallow_domain(session: Session, domain: str) -> bool:
    gone = session.execute(delete(SsoDomain).where(SsoDomain.domain == domain.strip().lower()))
    return bool(gone.rowcount)  # type: ignore[attr-defined]


# --- the flow ------------------------------------------------------------------------------


def authorization_url(found: SsoProvider, redirect_uri: str) -> tuple[str, dict[str, str]]:
    """Where to send the browser, and what to keep in its session for the way back
    (state, nonce, PKCE verifier)."""
    client = _client(found, redirect_uri)
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(24)
    url, state = client.create_authorization_url(
        _metadata(found.issuer)["authorization_endpoint"], nonce=nonce, code_verifier=verifier
    )
    return url, {"state": state, "nonce": nonce, "verifier": verifier}


def identity(found: SsoProvider, redirect_uri: str, kept: dict[str, str], args: Any) -> Identity:
    """Exchange the code the browser brought back and check the ID token it gets."""
    if args.get("error"):
        error = str(args.get("error"))[:100]
        raise SsoRefused(
            "provider_error", N_("the sign-in provider refused: %(error)s"), error=error
        )
    if not kept or args.get("state") != kept.get("state"):
        raise SsoRefused("state", N_("the sign-in took too long or came from elsewhere; try again"))
    metadata = _metadata(found.issuer)
    if args.get("iss") and args.get("iss") != found.issuer:
        raise SsoRefused("issuer", N_("the answer came from another provider"))
    client = _client(found, redirect_uri)
    try:
        token = client.fetch_token(
            metadata["token_endpoint"],
            code=args.get("code", ""),
            code_verifier=kept["verifier"],
            timeout=TIMEOUT,
        )
    except Exception as exc:  # Authlib's OAuthError, requests' errors: the provider said no
        raise SsoRefused("token", N_("the sign-in provider did not confirm the sign-in")) from exc
    claims = _checked_claims(found, metadata, token.get("id_token", ""), kept["nonce"])
    return Identity(
        subject=str(claims.get("sub", "")),
        email=str(claims.get("email", "")).strip().lower(),
        verified=claims.get("email_verified") is True,
    )


def account_for(session: Session, who: Identity) -> tuple[User, bool]:
    """The active account of a verified address of an allowed domain, made on first sign-in
    with the domain's role (an existing account keeps its own role); and whether it is new."""
    if not who.email or not who.verified:
        raise SsoRefused("unverified", N_("the provider has not verified this e-mail address"))
    domain = who.email.rpartition("@")[2]
    allowed = session.scalar(select(SsoDomain).where(SsoDomain.domain == domain))
    if allowed is None:
        raise SsoRefused(
            "domain", N_("addresses of %(domain)s may not sign in here"), domain=domain
        )
    user = User.by_email(session, who.email)
    if user is not None:
        if not user.active:
            raise SsoRefused("inactive", N_("this account is switched off"))
        return user, False
    return users.create_user(session, who.email, Role(allowed.role), None), True


def _checked_claims(found: SsoProvider, metadata: dict, id_token: str, nonce: str) -> dict:
    from joserfc import jwt
    from joserfc.errors import JoseError

    try:
        decoded = jwt.decode(id_token, _keys(metadata["jwks_uri"]))
        rules = jwt.JWTClaimsRegistry(
            leeway=60,
            iss={"essential": True, "value": found.issuer},
            aud={"essential": True, "value": found.client_id},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        rules.validate(decoded.claims)
    except (JoseError, ValueError) as exc:
        raise SsoRefused("id_token", N_("the provider's ID token did not check out")) from exc
    return dict(decoded.claims)


def _client(found: SsoProvider, redirect_uri: str) -> OAuth2Session:
    from authlib.integrations.requests_client import OAuth2Session

    return OAuth2Session(
        found.client_id,
        found.client_secret,
        scope=SCOPE,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )


_discovered: dict[str, tuple[float, dict]] = {}


def _metadata(issuer: str) -> dict:
    """The provider's OpenID configuration (kept a few minutes); its issuer must be ours."""
    import requests

    kept = _discovered.get(issuer)
    if kept is None or time.monotonic() - kept[0] > DISCOVERY_SECONDS:
        try:
            answer = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=TIMEOUT)
            answer.raise_for_status()
            metadata = answer.json()
        except (requests.RequestException, ValueError) as exc:
            raise SsoRefused("discovery", N_("the sign-in provider cannot be reached")) from exc
        if metadata.get("issuer") != issuer:
            raise SsoRefused("issuer", N_("the provider's issuer is not the one configured"))
        kept = _discovered[issuer] = (time.monotonic(), metadata)
    return kept[1]


def _keys(jwks_uri: str) -> KeySet:
    import requests
    from joserfc.jwk import KeySet

    try:
        answer = requests.get(jwks_uri, timeout=TIMEOUT)
        answer.raise_for_status()
        return KeySet.import_key_set(answer.json())
    except (requests.RequestException, ValueError) as exc:
        raise SsoRefused("keys", N_("the provider's signing keys cannot be read")) from exc
