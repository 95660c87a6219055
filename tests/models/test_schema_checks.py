"""The compiled schema checks accept exactly what the jsonschema validators accept."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import schemas
from models.schemas import (
    COLLECTION_VALIDATOR,
    CREDENTIALS_COLLECTION,
    CREDENTIALS_RECORD,
    ERROR_ENVELOPE,
    ERROR_VALIDATOR,
    RECORD_VALIDATOR,
    compile_check,
    schema_errors,
)

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([0.0, 1.0, -1.0, 0.5, -0.5]),
                    st.text(max_size=3))
ARBITRARY = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                         | st.dictionaries(st.text(max_size=3), inner, max_size=3), max_leaves=8)


def shaped(schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Bodies near ``schema``: mostly its own shape (keys it knows, some it does not, some
    missing), with any JSON value anywhere: valid and invalid bodies both come out often."""
    options: list[st.SearchStrategy[Any]] = [ARBITRARY]
    if depth > 5:
        return ARBITRARY
    properties = schema.get("properties", {})
    if schema.get("type") == "object" or properties:
        keys = [*sorted(properties), "extra"]
        options += [st.lists(st.sampled_from(keys), unique=True).flatmap(
            lambda chosen: st.fixed_dictionaries({k: shaped(properties.get(k, {}), depth + 1) for k in chosen}))] * 6
    if "items" in schema:
        options += [st.lists(shaped(schema["items"], depth + 1), max_size=3)] * 6
    kinds = {"string": st.text(max_size=3), "integer": st.integers(-2, 2), "number": st.floats(-2, 2)}
    if schema.get("type") in kinds:
        options += [kinds[schema["type"]]] * 6
    return st.one_of(options)


def valid(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Bodies that conform to ``schema`` (any subset of its optional keys, unknown keys where allowed)."""
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        required = list(schema.get("required", []))
        optional = [k for k in properties if k not in required]
        free = {"other": ARBITRARY} if schema.get("additionalProperties", True) is not False else {}
        chosen = st.lists(st.sampled_from(optional), unique=True) if optional else st.just([])
        return chosen.flatmap(lambda keys: st.fixed_dictionaries(
            {k: valid(properties.get(k, {})) for k in [*required, *keys]}, optional=free))
    if kind == "array":
        return st.lists(valid(schema.get("items", {})), max_size=3)
    if kind == "string":
        return st.text(max_size=3)
    if kind == "integer":
        low = schema.get("minimum", -3)
        return st.integers(low, low + 5) | st.just(float(low + 1))
    return ARBITRARY


VALIDATORS = [(RECORD_VALIDATOR, CREDENTIALS_RECORD), (COLLECTION_VALIDATOR, CREDENTIALS_COLLECTION),
              (ERROR_VALIDATOR, ERROR_ENVELOPE)]


@pytest.mark.parametrize(("validator", "schema"), VALIDATORS, ids=["record", "collection", "error"])
@settings(max_examples=400, deadline=None, database=None)
@given(data=st.data())
def test_the_compiled_check_agrees_with_the_validator(validator, schema, data):
    body = data.draw(st.one_of(valid(schema), shaped(schema)))
    assert compile_check(schema)(body) == validator.is_valid(body)
    assert (schema_errors(validator, body) == []) == validator.is_valid(body)


def test_every_schema_of_the_model_is_compiled():
    for validator, _ in VALIDATORS:
        assert id(validator) in schemas._checks


def test_a_violation_is_still_explained_by_the_validator():
    record = {"svm": {"name": "svm1"}, "initiator": "iqn.x:y", "chap": {"inbound": {"user": 7}}}
    problems = schema_errors(RECORD_VALIDATOR, record)
    assert problems and problems[0].startswith("chap/inbound/user:") and "string" in problems[0]
    assert schema_errors(COLLECTION_VALIDATOR, {"num_records": -1, "records": []})[0].startswith("num_records:")
    assert schema_errors(COLLECTION_VALIDATOR, {"num_records": 1.0, "records": [{}]}) == []  # 1.0 is an integer


@pytest.mark.parametrize("schema", [{"type": "string", "pattern": "^a"}, {"type": ["string", "null"]},
                                    {"additionalProperties": {"type": "string"}}, {"items": [{"type": "string"}]}])
def test_a_keyword_it_does_not_know_is_refused_not_ignored(schema):
    with pytest.raises(ValueError, match="cannot compile"):
        compile_check(schema)
