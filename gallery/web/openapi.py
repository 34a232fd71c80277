"""The OpenAPI 3.1 document of /api/v1, from one table of operations (a test matches it
against the app's routes, so a route cannot go undocumented)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

OBJ = {"type": "object"}


@dataclass(frozen=True)
class Op:
    method: str
    path: str  # OpenAPI style: /albums/{slug}
    summary: str
    role: str | None = None  # None: open to visitors (who see less)
    body: str | None = None  # a schema name, or "multipart" for an upload
    ok: int = 200
    query: tuple[str, ...] = ()


OPERATIONS = (
    Op("GET", "/me", "The signed-in user or token owner", role="staff"),
    Op("GET", "/albums", "Albums: public ones for visitors, all for staff"),
    Op("POST", "/albums", "Create an album", role="staff", body="AlbumInput", ok=201),
    Op("GET", "/albums/{slug}", "One album (unlisted: with ?key=)", query=("key",)),
    Op("PATCH", "/albums/{slug}", "Change an album, its cover", role="staff", body="AlbumInput"),
    Op("DELETE", "/albums/{slug}", "Move an album to the trash", role="staff"),
    Op("GET", "/albums/{slug}/photos", "The album's photos in order", query=("key",)),
    Op("POST", "/albums/{slug}/photos", "Upload a photo or zip", "staff", "multipart", 201),
    Op("PUT", "/albums/{slug}/order", "Reorder and renumber", role="staff", body="Order"),
    Op("GET", "/photos/{photo_id}", "One photo"),
    Op("PATCH", "/photos/{photo_id}", "Edit a photo's texts", role="staff", body="PhotoInput"),
    Op("DELETE", "/photos/{photo_id}", "Move a photo to the trash", role="staff"),
    Op("PATCH", "/photos", "Set the same values on many photos", role="staff", body="BulkEdit"),
    Op("GET", "/trash", "What is in the trash", role="admin"),
    Op("POST", "/trash/restore", "Restore albums and photos", role="admin", body="Restore"),
    Op("POST", "/trash/empty", "Delete the trash for good", role="admin"),
    Op("POST", "/articles", "Create an article", role="editor", body="ArticleInput", ok=201),
    Op("GET", "/articles/{slug}", "An article with its rows and photos"),
    Op("PATCH", "/articles/{slug}", "Change an article", role="editor", body="ArticleInput"),
    Op("POST", "/articles/{slug}/preview", "Lay out unsaved text", "editor", "ArticleInput"),
    Op("PUT", "/articles/{slug}/labels/{label}", "Set a label", "editor", "LabelInput"),
    Op("DELETE", "/articles/{slug}/labels/{label}", "Forget a label's photo", role="editor"),
    Op("GET", "/articles/{slug}/layout", "The article's rows laid out", query=("width", "gap")),
    Op("GET", "/photos/{photo_id}/articles", "The articles that use a photo"),
    Op("GET", "/search", "Search photos", query=("q", "album", "page", "per_page")),
)

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            }
        },
    },
    "AlbumInput": {
        "type": "object",
        "properties": {
            "slug": {"type": "string", "pattern": "^[a-z0-9-]+$"},
            "title": {"type": "string"},
            "event_date": {"type": "string", "format": "date"},
            "place": {"type": "string"},
            "description": {"type": "string"},
            "visibility": {"enum": ["draft", "private", "unlisted", "public"]},
            "allow_original_download": {"type": "boolean"},
            "cover_photo_id": {"type": ["integer", "null"]},
        },
    },
    "PhotoInput": {
        "type": "object",
        "properties": {
            **{
                name: {"type": "string"}
                for name in (
                    *("title", "title_en", "caption", "caption_en"),
                    *("alt_text", "credit", "copyright"),
                )
            },
            "keywords": {"type": "array", "items": {"type": "string"}},
            "consent": {"enum": ["ok", "no_public"]},
        },
    },
    "BulkEdit": {
        "type": "object",
        "required": ["ids", "set"],
        "properties": {
            "ids": {"type": "array", "items": {"type": "integer"}},
            "set": {"$ref": "#/components/schemas/PhotoInput"},
        },
    },
    "Order": {
        "type": "object",
        "required": ["photo_ids"],
        "properties": {"photo_ids": {"type": "array", "items": {"type": "integer"}}},
    },
    "ArticleInput": {
        "type": "object",
        "description": "POST /articles: title (required), slug, body, album. PATCH: any of "
        "title, body, status, album. Preview: title, body. Answers: {article, layout}.",
        "properties": {
            "slug": {"type": "string", "pattern": "^[a-z0-9-]+$"},
            "title": {"type": "string"},
            "body": {"type": "string"},
            "status": {"enum": ["draft", "published"]},
            "album": {"type": ["string", "null"], "description": "whose numbers labels mean"},
        },
    },
    "LabelInput": {
        "type": "object",
        "required": ["photo_id"],
        "properties": {
            "photo_id": {"type": "integer"},
            "crop": {
                "type": ["object", "null"],
                "properties": {
                    k: {"type": "number"} for k in ("x", "y", "w", "h", "aspect", "fx", "fy")
                },
                "description": "fractions of the photo: a rectangle {x, y, w, h}, or an "
                "aspect ratio w/h kept around a focal point {aspect, fx, fy}",
            },
            "caption": {"type": ["string", "null"], "description": "null: the photo's own"},
        },
    },
    "Restore": {
        "type": "object",
        "properties": {
            "albums": {"type": "array", "items": {"type": "string"}},
            "photos": {"type": "array", "items": {"type": "integer"}},
        },
    },
}


def document() -> dict[str, Any]:
    """The whole OpenAPI document."""
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {"title": "gallery API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
    }


def _operation(op: Op) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": op.summary,
        "parameters": _parameters(op),
        "responses": _responses(op),
    }
    if op.role:
        operation["security"] = [{"token": []}, {"session": []}]
        operation["description"] = f"Needs the {op.role} role (or higher)."
    if op.body == "multipart":
        upload = {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
        operation["requestBody"] = {"content": {"multipart/form-data": {"schema": upload}}}
    elif op.body:
        schema = {"$ref": f"#/components/schemas/{op.body}"}
        operation["requestBody"] = {"content": {"application/json": {"schema": schema}}}
    return operation


def _parameters(op: Op) -> list[dict[str, Any]]:
    params = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer" if name.endswith("_id") else "string"},
        }
        for name in re.findall(r"{(\w+)}", op.path)
    ]
    return params + [{"name": q, "in": "query", "schema": {"type": "string"}} for q in op.query]


def _responses(op: Op) -> dict[str, Any]:
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    responses: dict[str, Any] = {
        str(op.ok): {"description": "OK", "content": {"application/json": {"schema": OBJ}}}
    }
    if op.body:
        responses["400"] = {"description": "Invalid input", **error}
    if op.role:
        responses["401"] = {"description": "Not signed in", **error}
        responses["403"] = {"description": f"Not {op.role}", **error}
    if "{" in op.path:
        responses["404"] = {"description": "Not found (or not yours to see)", **error}
    if op.body == "multipart":
        ok = {"content": {"application/json": {"schema": OBJ}}}
        responses["200"] = {"description": "A zip that added no photo: its report", **ok}
        for status, what in (
            ("409", "Duplicate"),
            ("413", "Too large"),
            ("415", "Unsupported"),
            ("422", "Corrupt"),
            ("507", "The server's disk is full: nothing was kept"),
        ):
            responses[status] = {"description": what, **error}
    return responses
