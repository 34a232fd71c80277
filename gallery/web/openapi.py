"""The OpenAPI 3.1 document of /api/v1, read off the app's routes: each view's declared
operation (gallery.web.contract) gives its parameters, body, answers and errors, and the
role check on it (`required_role`) its security. No table beside the code to keep in step.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, current_app
from pydantic.json_schema import GenerateJsonSchema

from gallery.web.contract import Error, Operation

PREFIX = "/api/v1"
REF = "#/components/schemas/{model}"
SECURITY: list[dict[str, list[str]]] = [{"token": []}, {"session": []}]

bp = Blueprint("openapi", __name__, url_prefix=PREFIX)


class _Schemas(GenerateJsonSchema):
    """pydantic's JSON Schema without a title on every field (the name says it)."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.get("/openapi.json")
def openapi_document() -> dict[str, Any]:
    """This API described for machines, made once per app."""
    extensions = current_app.extensions
    if "gallery.openapi" not in extensions:
        extensions["gallery.openapi"] = document(current_app)
    return extensions["gallery.openapi"]


@dataclass(frozen=True)
class Route:
    """One declared operation as the app serves it."""

    method: str
    path: str  # OpenAPI style: /albums/{slug}
    endpoint: str  # unique: the operationId
    role: str | None  # the role its check requires (None: open to visitors)
    declared: Operation


def routes(app: Flask) -> Iterator[Route]:
    """Every declared operation under /api/v1."""
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        declared = getattr(view, "api_operation", None)
        if declared is None or not rule.rule.startswith(PREFIX + "/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?(\w+)>", r"{\1}", rule.rule.removeprefix(PREFIX))
        role = getattr(view, "required_role", None)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield Route(method, path, rule.endpoint, role, declared)


def document(app: Flask) -> dict[str, Any]:
    """The whole OpenAPI document."""
    found = list(routes(app))
    schemas, definitions = _schemas(found)
    paths: dict[str, dict[str, Any]] = {}
    for route in found:
        shapes = {key[1]: schema for key, schema in schemas.items() if key[0] == route.endpoint}
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, shapes)
    return {
        "openapi": "3.1.0",
        "info": {"title": "gallery API", "version": "1"},
        "servers": [{"url": PREFIX}],
        "paths": paths,
        "components": {
            "schemas": definitions,
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
    }


def _schemas(found: list[Route]) -> tuple[dict[Any, Any], dict[Any, Any]]:
    """Every body and answer, and the error, in one pass, so each model is named once;
    keyed by (endpoint, status or "body")."""
    inputs: list[Any] = [(("", "error"), "serialization", Error.__pydantic_core_schema__)]
    for route in found:
        for status, shape in route.declared.answers.items():
            inputs.append(((route.endpoint, status), "serialization", shape.core_schema))
        if route.declared.body is not None:
            body = route.declared.body.__pydantic_core_schema__
            inputs.append(((route.endpoint, "body"), "validation", body))
    schemas, definitions = _Schemas(ref_template=REF).generate_definitions(inputs)
    return {key: schema for (key, _mode), schema in schemas.items()}, definitions


def _operation(route: Route, shapes: dict[Any, Any]) -> dict[str, Any]:
    declared, role = route.declared, route.role
    item: dict[str, Any] = {"operationId": route.endpoint, "summary": declared.summary}
    if role:
        item["description"] = f"Needs the {role} role (or higher)."
    # With a role: a token or a session; without, visitors ({}) too, who may see less.
    item["security"] = SECURITY if role else [{}, *SECURITY]
    item["parameters"] = _parameters(declared)
    if declared.upload:
        form = {
            "type": "object",
            "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary"}},
        }
        content = {"multipart/form-data": {"schema": form}}
        item["requestBody"] = {"required": True, "content": content}
    elif "body" in shapes:
        content = {"application/json": {"schema": shapes["body"]}}
        item["requestBody"] = {"required": True, "content": content}
    item["responses"] = _responses(route, shapes)
    return item


def _parameters(declared: Operation) -> list[dict[str, Any]]:
    found = [
        {"name": name, "in": "path", "required": True, "schema": _inline(kind.json_schema)}
        for name, kind in declared.path.items()
    ]
    if declared.query is not None:
        schema = _inline(declared.query.model_json_schema)
        required = set(schema.get("required", ()))
        for name, field in schema["properties"].items():
            parameter = {"name": name, "in": "query", "required": name in required}
            found.append({**parameter, "schema": field})
    return found


def _inline(make: Any) -> dict[str, Any]:
    """A parameter's schema (plain types: nothing to refer to)."""
    return make(schema_generator=_Schemas)


def _responses(route: Route, shapes: dict[Any, Any]) -> dict[str, Any]:
    declared, role = route.declared, route.role
    answers = {
        str(status): {"description": "OK", "content": {"application/json": {"schema": shape}}}
        for status, shape in shapes.items()
        if isinstance(status, int)
    }
    errors = {401: "Not signed in, or an unknown or revoked API token"}
    if declared.body is not None or declared.query is not None:
        errors[400] = "Invalid input: the message says what is wrong"
    if role:
        errors[403] = f"Signed in, but not {role}"
    if declared.path:
        errors[404] = "Not found (or not yours to see)"
    if declared.body is not None or declared.upload:
        errors[413] = "The request is too large"
    if route.method != "GET":
        errors[507] = "The server's disk is full: nothing was saved"
    errors.update(declared.errors)
    error = {"application/json": {"schema": {"$ref": REF.format(model="Error")}}}
    refusals = {str(code): {"description": text, "content": error} for code, text in errors.items()}
    if declared.query is not None:  # said by gunicorn, before the app: a page, not JSON
        too_long = {"text/html": {"schema": {"type": "string"}}}
        refusals["414"] = {
            "description": "The request line is over 8190 bytes",
            "content": too_long,
        }
    return dict(sorted({**answers, **refusals}.items()))
