"""The OpenAPI document matches the routes the app really has, and says of each operation
what it takes, what it answers and how it may refuse."""

from __future__ import annotations

import re

import pytest


def _app_operations(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule == "/api/v1/openapi.json":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        found |= {(method, path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return found


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").json


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def test_document_lists_exactly_the_routes(app, document):
    assert document["openapi"] == "3.1.0"
    documented = {(method, path) for method, path, _ in _operations(document)}
    assert documented == _app_operations(app)


def test_every_reference_resolves_and_path_parameters_are_declared(document):
    text = str(document)
    for ref in re.findall(r"#/components/schemas/(\w+)", text):
        assert ref in document["components"]["schemas"]
    for path, item in document["paths"].items():
        for operation in item.values():
            declared = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
            assert declared == set(re.findall(r"{(\w+)}", path))


def test_every_operation_documents_its_answer_and_its_refusals(document):
    error = {"$ref": "#/components/schemas/Error"}
    for method, path, operation in _operations(document):
        responses, where = operation["responses"], (method, path)
        answers = [s for s in responses if s.startswith("2")]
        assert answers, where
        for status in answers:
            assert responses[status]["content"]["application/json"]["schema"], where
        refusals = {s for s in responses if s[0] in "45" and s != "414"}
        for status in refusals:
            assert responses[status]["content"]["application/json"]["schema"] == error, where
        expected = {"401"}
        if {} not in operation["security"]:  # a role is needed
            expected |= {"403"}
        if "{" in path:
            expected |= {"404"}
        if "requestBody" in operation or any(p["in"] == "query" for p in operation["parameters"]):
            expected |= {"400"}
        assert expected <= refusals, (where, expected - refusals)
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None:
            schema = document["components"]["schemas"][body["schema"]["$ref"].split("/")[-1]]
            assert schema["additionalProperties"] is False, where  # unknown fields refused


def test_every_write_needs_a_role(app, document):
    """So a write can never be forged from another site: the session's are CSRF-checked,
    and an anonymous one is refused by its role check (401) before anything else."""
    for method, path, operation in _operations(document):
        if method != "GET":
            assert {} not in operation["security"], (method, path)
            assert "Needs the" in operation["description"]
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") and rule.methods - {"GET", "HEAD", "OPTIONS"}:
            assert getattr(app.view_functions[rule.endpoint], "required_role", None), rule.rule
