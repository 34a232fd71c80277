"""Two-factor sign-in: time-based one-time codes (RFC 6238, pyotp) and recovery codes.

Enrolment keeps the new secret out of the database until the user proves their app has it
(a code from it); then ten recovery codes are made and shown once (only their SHA-256 is
kept). A code is accepted once: the time step it was accepted for is remembered, so a
code seen over a shoulder cannot be replayed within its 30 seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
import time

import pyotp
import segno
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gallery.core.models import RecoveryCode, User, utcnow

ISSUER = "Gallery"
RECOVERY_CODES = 10
DRIFT_STEPS = 1  # a code of the step before or after is taken too (clocks drift)


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str, issuer: str = ISSUER) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_svg(uri: str) -> bytes:
    """The URI as a QR code in SVG, drawn here (no outside service sees the secret)."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, border=2, xmldecl=False)
    return out.getvalue()


def accepted_step(
    secret: str, code: str, after: int | None, now: float | None = None
) -> int | None:
    """The time step a six-digit code is good for (now, or one step either side), if it is
    later than `after` (the last one accepted); None otherwise."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp, moment = pyotp.TOTP(secret), time.time() if now is None else now
    step = int(moment) // totp.interval
    for candidate in range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1):
        good = totp.generate_otp(candidate)
        if hmac.compare_digest(good, code) and (after is None or candidate > after):
            return candidate
    return None


def enrol(session: Session, user: User, secret: str) -> list[str]:
    """Turn two-factor sign-in on with the secret; returns new recovery codes (shown once)."""
    user.totp_secret, user.totp_last_step = secret, None
    return new_recovery_codes(session, user)


def disable(session: Session, user: User) -> None:
    user.totp_secret, user.totp_last_step = None, None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def new_recovery_codes(session: Session, user: User) -> list[str]:
    """Ten new single-use codes (`xxxxx-xxxxx`); the old ones stop working."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
    session.add_all(RecoveryCode(user_id=user.id, code_hash=_digest(code)) for code in codes)
    return codes


def check(session: Session, user: User, code: str) -> str | None:
    """Accept a TOTP code or an unused recovery code for the user's second step: which kind
    it was ("totp", "recovery"), or None. What it uses up is written to the session."""
    if user.totp_secret is None:
        return None
    step = accepted_step(user.totp_secret, code, user.totp_last_step)
    if step is not None:
        user.totp_last_step = step
        return "totp"
    query = select(RecoveryCode).where(
        RecoveryCode.user_id == user.id,
        RecoveryCode.code_hash == _digest(_normal(code)),
        RecoveryCode.used_at.is_(None),
    )
    found = session.scalar(query)
    if found is None:
        return None
    found.used_at = utcnow()
    return "recovery"


def recovery_codes_left(session: Session, user: User) -> int:
    query = select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
    )
    return len(list(session.scalars(query)))


def _recovery_code() -> str:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
    text = "".join(secrets.choice(alphabet) for _ in range(10))
    return f"{text[:5]}-{text[5:]}"


def _normal(code: str) -> str:
    text = "".join(code.lower().split()).replace("-", "")
    return f"{text[:5]}-{text[5:]}"


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()
