"""Bad input on every operation of the OpenAPI document is answered wholly in the caller's language.

For each operation with a body or parameters, a few wrong requests (invalid JSON, wrong top-level
type, missing and extra fields, wrong types, too long strings, bad enums, bad parameters) are sent
with Accept-Language vi and en; the texts people read (title, detail, errors[].message, Open311's
description) carry no English words in Vietnamese and no Vietnamese diacritics in English.
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.conftest import Actors

ENGLISH = re.compile(
    r"\b(should|valid|invalid|input|required|field|characters?|must|or|the|is|not|value|expected|"
    r"error|least|most|string|number|integer|object|type|missing|extra|allowed|permitted|"
    r"too|long|short|please|cannot)\b",
    re.IGNORECASE,
)
BAD_STRING = "zz-99"  # neither language's word, so an echoed value proves nothing either way


def _vietnamese(text: str) -> bool:
    return any(
        c in "đĐ" or any(unicodedata.combining(d) for d in unicodedata.normalize("NFD", c)) for c in text
    )


@dataclass
class Attempt:
    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None
    content_type: str | None = None
    why: str = ""


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            if options:
                return _resolve(doc, options[0])
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return _resolve(doc, schema["allOf"][0])
    return schema


def _wrong_values(schema: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    kind = schema.get("type")
    if "enum" in schema or "const" in schema:
        yield "bad enum", BAD_STRING
    if kind == "string":
        yield "wrong type", 12345
        if "maxLength" in schema:
            yield "too long", "x" * (schema["maxLength"] + 1)
        if schema.get("format") in ("uuid", "date-time", "date"):
            yield "bad format", BAD_STRING
    elif kind in ("number", "integer") or kind == "boolean" or kind == "array":
        yield "wrong type", BAD_STRING
    elif kind == "object":
        yield "wrong type", [1]


def _sample(doc: dict[str, Any], schema: dict[str, Any]) -> Any:
    schema = _resolve(doc, schema)
    if schema.get("examples"):
        return schema["examples"][0]
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    return {"string": "abc", "integer": 1, "number": 1.0, "boolean": True, "array": [], "object": {}}.get(
        schema.get("type", "string"), "abc"
    )


def _json_bodies(doc: dict[str, Any], schema: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    schema = _resolve(doc, schema)
    props: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    base = {name: _sample(doc, props[name]) for name in required if name in props}
    yield "wrong top-level type", [1, 2]
    if required:
        yield "missing fields", {}
    yield "extra field", base | {"zz_extra": 1}
    for name, prop in props.items():
        for why, value in _wrong_values(_resolve(doc, prop)):
            yield f"{name}: {why}", base | {name: value}


def _fill_path(path: str, params: list[dict[str, Any]], bad: str | None = None) -> str:
    for p in params:
        if p["in"] != "path":
            continue
        schema = p.get("schema", {})
        value = "json" if p["name"] == "fmt" else str(uuid.uuid4()) if schema.get("format") == "uuid" else "x"
        path = path.replace("{" + p["name"] + "}", BAD_STRING if p["name"] == bad else value)
    return path


def _attempts(doc: dict[str, Any]) -> Iterator[Attempt]:
    for path, operations in doc["paths"].items():
        if path.endswith("/live"):
            continue  # event streams stay open; their one parameter is a path id checked elsewhere
        for method, op in operations.items():
            params = [p for p in op.get("parameters", []) if p["in"] in ("path", "query")]
            body = op.get("requestBody", {}).get("content", {})
            if not params and not body:
                continue
            target = _fill_path(path, params)
            for p in params:
                schema = _resolve(doc, p.get("schema", {}))
                if p["in"] == "path" and p["name"] != "fmt" and schema.get("format") == "uuid":
                    yield Attempt(method, _fill_path(path, params, p["name"]), why=f"path {p['name']}")
                elif p["in"] == "query":
                    for why, value in _wrong_values(schema):
                        if not isinstance(value, list):
                            yield Attempt(
                                method, target, {p["name"]: str(value)}, why=f"query {p['name']}: {why}"
                            )
            if "application/json" in body:
                yield Attempt(
                    method, target, content=b'{"a": ', content_type="application/json", why="bad JSON"
                )
                for why, value in _json_bodies(doc, body["application/json"].get("schema", {})):
                    raw = json.dumps(value).encode()
                    yield Attempt(method, target, content=raw, content_type="application/json", why=why)
            elif body:
                ctype = next(iter(body))
                yield Attempt(method, target, content=b"zz=1", content_type=ctype, why="form without fields")


def _texts(response: httpx.Response) -> list[str]:
    ctype = response.headers.get("content-type", "")
    if "json" not in ctype:
        return []
    data = response.json()
    if isinstance(data, list):  # Open311's error list
        return [str(e.get("description", "")) for e in data if isinstance(e, dict)]
    if not isinstance(data, dict) or "title" not in data:
        return []
    errors = data.get("errors", [])
    detail = str(data["detail"])
    for e in errors:  # a detail may list "field: message"; field names are not words of either language
        detail = detail.replace(f"{e['field']}: ", "")
    return [data["title"], detail, *(e["message"] for e in errors)]


async def test_bad_input_on_every_operation_is_answered_in_one_language(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    admin = await actors.staff("admin")
    doc = (await client.get("/openapi.json")).json()
    checked = 0
    wrong: list[str] = []
    for attempt in _attempts(doc):
        for locale in ("vi", "en"):
            headers = admin | {"Accept-Language": locale}
            if attempt.content_type:
                headers["Content-Type"] = attempt.content_type
            params = attempt.params | ({"locale": locale} if attempt.path.startswith("/open311") else {})
            r = await client.request(
                attempt.method.upper(), attempt.path, params=params, content=attempt.content, headers=headers
            )
            if r.status_code < 400:
                continue
            for text in _texts(r):
                checked += 1
                found = ENGLISH.findall(text) if locale == "vi" else ([text] if _vietnamese(text) else [])
                if found:
                    wrong.append(
                        f"{attempt.method.upper()} {attempt.path} ({attempt.why}, {locale}): {text!r}"
                    )
    assert wrong == [], "\n".join(wrong)
    assert checked > 500  # the walk did reach the operations
