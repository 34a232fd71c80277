"""Security headers on every response: no inline scripts, no framing, no type sniffing."""

from __future__ import annotations

from flask import Flask, Response

# Scripts and styles only from files of this site: no inline script, no <style>, no style
# attribute. What is per photo (justified rows, article crops) is set by the pages' scripts
# through the CSSOM, which the policy allows. (The article export carries inline styles
# for the site it is pasted into; it is a download, not a page of ours.)
CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response
