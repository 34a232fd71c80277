"""Culling's staff pages: the near-duplicates to review and the caption shortcuts."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("culling", __name__, url_prefix="/staff")
