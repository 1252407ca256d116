"""Bad input never answers 500: every write endpoint of the OpenAPI document, fed malformed bodies.

For each POST/PUT/PATCH operation we send, as a coordinator of partnership A (who may call them all):
a body that is not JSON, JSON that is not an object, an empty object, and for every property of the
request schema a value of the wrong type, ``null`` and (for strings) a 100,000-character value. Each
answer must be a 2xx or a 4xx with the ``{"detail", "code"}`` shape — never a server error. Driven by
the OpenAPI document, so a new endpoint is covered without anyone remembering to add it.
"""

import json

import pytest

from safepact.lib.tests.test_api_probe import API, fill, openapi, sides  # noqa: F401 - fixture

WRITE_METHODS = ("post", "put", "patch")
HUGE = "x" * 100_000


def _resolve(schema: dict, spec: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    if "anyOf" in schema:  # Optional[...] in pydantic: take the non-null branch
        branches = [s for s in schema["anyOf"] if s.get("type") != "null"]
        if branches:
            return _resolve(branches[0], spec)
    return schema


def _wrong_values(prop: dict) -> list:
    kind = prop.get("type")
    if kind == "string":
        return [12345, ["a"], None, HUGE]
    if kind in ("integer", "number"):
        return ["not-a-number", 10**30, -(10**30), None, 1.5 if kind == "integer" else "1,5"]
    if kind == "boolean":
        return ["maybe", None, 2]
    if kind == "array":
        return ["not-a-list", [None, {"x": 1}], None, [HUGE]]
    if kind == "object":
        return ["not-an-object", [1], None]
    return [None, 12345, "x", {"nested": HUGE}]


def _bodies(operation: dict, spec: dict) -> list[tuple[str, str]]:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    bodies = [("not JSON", "{not json"), ("a list", "[1, 2]"), ("empty object", "{}")]
    if not content:
        return bodies
    schema = _resolve(content["schema"], spec)
    for name, prop in schema.get("properties", {}).items():
        for value in _wrong_values(_resolve(prop, spec)):
            label = f"{name}={json.dumps(value)[:30]}"
            bodies.append((label, json.dumps({name: value})))
    return bodies


def test_no_write_endpoint_answers_500_to_bad_input(client, world, sides):  # noqa: F811
    client.raise_request_exception = False
    client.force_login(world.coordinator)
    spec = openapi(client)
    tried, failures = 0, []
    for path, item in sorted(spec["paths"].items()):
        for method in WRITE_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            url = fill(path.replace("{step}", "inform").replace("{safe}", "people"), sides["A"])
            for label, body in _bodies(operation, spec):
                response = getattr(client, method)(url, body, content_type="application/json")
                tried += 1
                if response.status_code >= 500:
                    failures.append(f"{method.upper()} {path} with {label}: {response.status_code}")
                elif response.status_code >= 400 and response["Content-Type"].startswith("application/json"):
                    payload = json.loads(response.content)
                    if not {"detail", "code"} <= set(payload):
                        failures.append(f"{method.upper()} {path} with {label}: error without detail/code")
    assert tried > 300, tried
    assert not failures, f"{len(failures)} of {tried} bad requests were not refused cleanly:\n" + "\n".join(
        failures[:40]
    )


@pytest.mark.parametrize("method", WRITE_METHODS)
def test_the_check_sees_write_endpoints(client, world, method):
    client.force_login(world.coordinator)
    spec = openapi(client)
    assert any(method in item for item in spec["paths"].values())
