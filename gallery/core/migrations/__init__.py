"""Alembic migrations; `gallery init` applies them."""
