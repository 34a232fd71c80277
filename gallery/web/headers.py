"""Security headers on every response: no inline scripts, no framing, no type sniffing."""

from __future__ import annotations

from functools import partial

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
    headers = dict(HEADERS)
    # Renditions in S3 come from the bucket's host (a redirect): pages may show them.
    origin = getattr(app.extensions.get("gallery.storage"), "origin", None)
    if origin is not None:
        images = f"img-src 'self' {origin()} data: blob:"
        headers["Content-Security-Policy"] = CSP.replace("img-src 'self' data: blob:", images)
    app.after_request(partial(add_security_headers, headers=headers))


def add_security_headers(response: Response, headers: dict[str, str] = HEADERS) -> Response:
    for name, value in headers.items():
        response.headers.setdefault(name, value)
    return response
