"""Security headers on pages, API answers and media."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/", "/login", "/api/v1/albums", "/no-such-page"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "style-src-attr" not in csp  # no style attributes
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_no_page_or_script_writes_a_style_attribute():
    """The strict policy allows no style attribute: templates carry none (but the article
    export, which is pasted into other sites), and scripts set styles through the CSSOM."""
    from gallery.config import PROJECT_ROOT

    templates = [
        path
        for path in (PROJECT_ROOT / "templates").rglob("*.html")
        if path.name not in ("article_export.html", "_article_photo.html")
    ]
    assert templates and not [p.name for p in templates if "style=" in p.read_text()]
    macro = (PROJECT_ROOT / "templates" / "_article_photo.html").read_text()
    site_branch = macro.split("{% else %}")[1].split("{% endif %}")[
        0
    ]  # the page's, not the export's
    assert "style=" not in site_branch
    for script in (PROJECT_ROOT / "static").rglob("*.js"):
        text = script.read_text()
        assert 'setAttribute("style"' not in text and "style=" not in text, script.name
