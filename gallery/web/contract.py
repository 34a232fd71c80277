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
import re
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
from gallery.core.messages import N_, Message

# A database id is an INTEGER column: 32 bits on PostgreSQL (SQLite's would hold 64, but
# the schema is one for both). A larger id names nothing: 404, not the database's error.
MAX_ID = 2**31 - 1


def form_id(text: str) -> int:
    """An id from a form field, for `request.form.get(name, type=form_id)`: one that cannot
    be an id (past MAX_ID, below 1, not a number) reads as absent."""
    number = int(text)
    if not 1 <= number <= MAX_ID:
        raise ValueError(text)
    return number


def _whole(value: object) -> object:
    # JSON (and its Schema) knows numbers: 7.0 is the integer 7; 7.5 and "7" stay refused.
    return int(value) if isinstance(value, float) and value.is_integer() else value


WHOLE = BeforeValidator(_whole)  # after the Field of an int, so the schema keeps its bounds
Id = Annotated[int, Field(ge=1, le=MAX_ID), WHOLE]
JSON_OBJECT = N_("send a JSON object with Content-Type: application/json")
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
        return model.model_validate_json(_without_nul(request.get_data()))
    except ValidationError as exc:
        raise InvalidInput(describe(exc)) from None


# JSON carries NUL only as the escape \u0000 (a bare control character is invalid JSON);
# one preceded by an odd number of backslashes is the text "\u0000" instead.
_NUL_ESCAPE = re.compile(rb"(?<!\\)((?:\\\\)*)\\u0000")


def _without_nul(body: bytes) -> bytes:
    # PostgreSQL's text cannot hold NUL (SQLite's can): every text of a body drops it, as a
    # photo's texts drop the other control characters, so a body means the same on both.
    return _NUL_ESCAPE.sub(rb"\1", body)


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
            nothing = N_("there is nothing with the %(name)s %(value)s")
            raise NotFound(nothing, name=name, value=value) from None
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
    "string_type": N_("%(field)s must be text"),
    "int_type": N_("%(field)s must be a whole number"),
    "int_parsing": N_("%(field)s must be a whole number"),
    "int_from_float": N_("%(field)s must be a whole number"),
    "float_type": N_("%(field)s must be a number"),
    "float_parsing": N_("%(field)s must be a number"),
    "finite_number": N_("%(field)s must be a finite number"),
    "bool_type": N_("%(field)s must be true or false"),
    "bool_parsing": N_("%(field)s must be true or false"),
    "list_type": N_("%(field)s must be a list"),
    "dict_type": N_("%(field)s must be an object"),
    "model_type": N_("%(field)s must be an object"),
    "date_type": N_("%(field)s must be a date like 2026-05-31"),
    "date_parsing": N_("%(field)s must be a date like 2026-05-31"),
    "date_from_datetime_parsing": N_("%(field)s must be a date like 2026-05-31"),
    "missing": N_("%(field)s is required"),
    "too_short": N_("%(field)s must not be empty"),
    "greater_than_equal": N_("%(field)s must be at least %(ge)s"),
    "less_than_equal": N_("%(field)s must be at most %(le)s"),
    "string_too_long": N_("%(field)s is longer than %(max_length)s characters"),
    "too_long": N_("%(field)s may have at most %(max_length)s items"),
}


def describe(exc: ValidationError) -> Message:
    """A validation error in plain words: `title must be text; unknown fields: colour`."""
    problems: list[Message] = []
    unknown: dict[str, list[str]] = {}
    for error in exc.errors():
        *parents, last = error["loc"] or ("",)
        if error["type"] == "extra_forbidden":
            unknown.setdefault(_where(parents), []).append(str(last))
        elif not error["loc"] or error["type"] in ("json_invalid", "json_type"):
            return Message(JSON_OBJECT)
        else:
            problems.append(_says(error, _where(error["loc"])))
    for parent, names in unknown.items():
        text = (
            N_("unknown %(parent)s fields: %(names)s")
            if parent
            else N_("unknown fields: %(names)s")
        )
        problems.append(Message(text, {"parent": parent, "names": ", ".join(names)}))
    # One value per problem, joined by "; " (a text no catalog holds stays as it is).
    text = "; ".join(f"%(p{n})s" for n in range(len(problems)))
    return Message(text, {f"p{n}": problem for n, problem in enumerate(problems)})


def _says(error: Any, field: str) -> Message:
    kind, context = error["type"], error.get("ctx") or {}
    if error["input"] is None and kind != "missing":
        return Message(N_("%(field)s must not be null"), {"field": field})
    if kind in ("enum", "literal_error"):
        expected = str(context.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return Message(
            N_("%(field)s must be one of %(choices)s"), {"field": field, "choices": expected}
        )
    if kind in _SAYS:
        return Message(_SAYS[kind], {**context, "field": field})
    said = str(error["msg"])[:1].lower() + str(error["msg"])[1:]
    return Message("%(field)s %(said)s", {"field": field, "said": said})


def _where(loc: Any) -> str:
    """("set", "credit") -> set.credit; ("ids", 2) -> ids[2]."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text
