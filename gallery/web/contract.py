"""The API's one contract: pydantic models check each request and shape each answer, and
the same models make the OpenAPI document (gallery.web.openapi reads it off the routes).

A capability declares an operation on its view, below the route and the role check:

    @bp.patch("/photos/<int:photo_id>")
    @require_role("staff")
    @operation("Edit a photo's texts", answer=PhotoAnswer)
    def photos_update(photo_id: Id, body: PhotoChanges) -> PhotoAnswer: ...

The view's annotations say what it takes: path parameters by name, the JSON body as
`body`, the query string as `query` (models). It returns its answer (a model, or a dict of
the answer's shape, checked on the way out), `(answer, status)`, or a ready Response.

What a request may carry is decided here, once: a body that is not a JSON object, of the
wrong type, with `null` where a value is needed or with unknown fields answers 400
`invalid_input`, as does a bad query argument; a path id out of range names nothing and
answers 404. What the values mean (a slug's letters, a text's length, a crop inside the
photo) stays the domain's to check; `documented` shows such a rule in the schema.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar, get_type_hints

from flask import Response, request
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
)

from gallery.core.errors import InvalidInput, NotFound

MAX_ID = 2**63 - 1  # a database id is a signed 64-bit integer


def _whole(value: object) -> object:
    # JSON (and its Schema) knows numbers: 7.0 is the integer 7; 7.5 and "7" stay refused.
    return int(value) if isinstance(value, float) and value.is_integer() else value


Id = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_whole)]
JSON_OBJECT = "send a JSON object with Content-Type: application/json"
M = TypeVar("M", bound=BaseModel)


class Input(BaseModel):
    """A request body: exact JSON types (no "1" for 1), no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid")


class Query(BaseModel):
    """A query string: text converted to its type; other arguments are left alone."""


class Output(BaseModel):
    """An answer: the schema lists every field it may carry (an answer made as a dict with
    a field its model lacks fails, so the document cannot fall behind the code)."""

    model_config = ConfigDict(extra="forbid")


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")  # e.g. the photo_id of a duplicate
    code: str
    message: str


class Error(BaseModel):
    """Every error of the API: {"error": {"code", "message", ...}}."""

    error: ErrorDetail


def documented(**keywords: Any) -> Any:
    """JSON Schema keywords of a rule the domain checks, shown in the schema (e.g. a slug's
    pattern): the domain's message says what is wrong better than a pattern would."""
    return Field(json_schema_extra=keywords)


@dataclass(frozen=True)
class Operation:
    """What one API operation takes and answers, as its view declares it."""

    summary: str
    status: int  # of the usual answer
    answers: dict[int, TypeAdapter]  # status -> shape of the answer
    errors: dict[int, str] = field(default_factory=dict)  # besides the ones every call has
    path: dict[str, TypeAdapter] = field(default_factory=dict)
    body: type[Input] | None = None
    query: type[Query] | None = None
    upload: bool = False  # a multipart body with the field `file`


def operation(
    summary: str,
    *,
    answer: Any,
    status: int = 200,
    also: Mapping[int, Any] | None = None,
    errors: Mapping[int, str] | None = None,
    upload: bool = False,
) -> Callable[[Callable], Callable]:
    """Declare a view an API operation: its summary, its answers by status (`answer` at
    `status`, others in `also`) and the errors only it may give (status -> when)."""

    def decorate(view: Callable) -> Callable:
        hints = get_type_hints(view, include_extras=True)
        hints.pop("return", None)
        shapes = {status: answer, **(also or {})}
        declared = Operation(
            summary,
            status,
            answers={code: TypeAdapter(shape) for code, shape in shapes.items()},
            errors=dict(errors or {}),
            body=hints.pop("body", None),
            query=hints.pop("query", None),
            path={name: TypeAdapter(kind) for name, kind in hints.items()},
            upload=upload,
        )

        @functools.wraps(view)
        def answered(**path: Any) -> Response:
            arguments = _path_arguments(declared, path)
            if declared.body is not None:
                arguments["body"] = parse_body(declared.body)
            if declared.query is not None:
                arguments["query"] = parse_query(declared.query)
            return _response(declared, view(**arguments))

        answered.api_operation = declared  # type: ignore[attr-defined]
        return answered

    return decorate


def parse_body(model: type[M]) -> M:
    """The request's JSON body as `model`; InvalidInput says what is wrong with it."""
    if not request.is_json:
        raise InvalidInput(JSON_OBJECT)
    try:
        return model.model_validate_json(request.get_data())
    except ValidationError as exc:
        raise InvalidInput(describe(exc)) from None


def parse_query(model: type[M]) -> M:
    """The query string as `model` (the first value of a repeated argument)."""
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise InvalidInput(describe(exc)) from None


def _path_arguments(declared: Operation, path: dict[str, Any]) -> dict[str, Any]:
    arguments = {}
    for name, value in path.items():
        try:
            arguments[name] = declared.path[name].validate_python(value)
        except ValidationError:
            raise NotFound(f"there is nothing with the {name} {value}") from None
    return arguments


def _response(declared: Operation, result: Any) -> Response:
    if isinstance(result, Response):
        return result  # an answer the view made itself (an error, a file)
    payload, status = result if isinstance(result, tuple) else (result, declared.status)
    shape = declared.answers[status]
    body = shape.dump_json(shape.validate_python(payload))
    return Response(body, status=status, mimetype="application/json")


# --- what a refusal says -----------------------------------------------------------------

_SAYS = {
    "string_type": "must be text",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "date_type": "must be a date like 2026-05-31",
    "date_parsing": "must be a date like 2026-05-31",
    "date_from_datetime_parsing": "must be a date like 2026-05-31",
    "missing": "is required",
    "too_short": "must not be empty",
}
_SAYS_WITH = {
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "string_too_long": "is longer than {max_length} characters",
    "too_long": "may have at most {max_length} items",
}


def describe(exc: ValidationError) -> str:
    """A validation error in plain words: `title must be text; unknown fields: colour`."""
    problems: list[str] = []
    unknown: dict[str, list[str]] = {}
    for error in exc.errors():
        *parents, last = error["loc"] or ("",)
        if error["type"] == "extra_forbidden":
            unknown.setdefault(_where(parents), []).append(str(last))
        elif not error["loc"] or error["type"] in ("json_invalid", "json_type"):
            return JSON_OBJECT
        else:
            problems.append(f"{_where(error['loc'])} {_says(error)}")
    for parent, names in unknown.items():
        problems.append(f"unknown {parent + ' ' if parent else ''}fields: {', '.join(names)}")
    return "; ".join(problems)


def _says(error: Any) -> str:
    kind, context = error["type"], error.get("ctx") or {}
    if error["input"] is None and kind != "missing":
        return "must not be null"
    if kind in ("enum", "literal_error"):
        expected = str(context.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return f"must be one of {expected}"
    if kind in _SAYS_WITH:
        return _SAYS_WITH[kind].format(**context)
    return _SAYS.get(kind) or str(error["msg"])[:1].lower() + str(error["msg"])[1:]


def _where(loc: Any) -> str:
    """("set", "credit") -> set.credit; ("ids", 2) -> ids[2]."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text
