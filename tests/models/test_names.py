from __future__ import annotations

import pytest
from hypothesis import given, settings

from models.names import INITIATOR_CODES, MAX_NAME_BYTES, initiator_violations
from tests.models.helpers import assert_refused_with, fresh_model, post_body
from tests.models.strategies import euis, initiators, iqns

INITIATOR_ERRORS = set(INITIATOR_CODES)


@settings(max_examples=300)
@given(iqns())
def test_initiator_violations_valid_iqn_none(name: str) -> None:
    assert len(name.encode()) <= MAX_NAME_BYTES
    assert initiator_violations(name) == []


@settings(max_examples=200)
@given(euis)
def test_initiator_violations_valid_eui_none(name: str) -> None:
    assert initiator_violations(name) == []


@settings(max_examples=100)
@given(initiators)
def test_create_valid_initiator_allows_201(name: str) -> None:
    expectation = fresh_model().create(post_body(initiator=name))
    assert [o.statuses for o in expectation.outcomes] == [frozenset({201})]
    assert expectation.success.result[0].initiator == name


@pytest.mark.parametrize("name", [
    "iqn.1992-08.com.netapp:initiator1",
    "iqn.1995-08.com.example:string",
    "iqn.2020-04.testinitiator8888904359",
    "eui.0123456789abcdef",
    "eui.02004567A425678D",
])
def test_initiator_violations_documented_examples_none(name: str) -> None:
    assert initiator_violations(name) == []


def _create(name: str):
    return fresh_model().create(post_body(initiator=name))


@pytest.mark.parametrize("name", ["iqn.", "iqn.2020-01.", "iqn.2020-01"])
def test_create_empty_qualifier_refused_5373969(name: str) -> None:
    assert_refused_with(_create(name), "5373969", "5373971", "5373972")


@pytest.mark.parametrize("name", ["iqx.2020-01.com.example", "naa.2020-01.com.example",
                                  "iq.2020-01.com.example:x"])
def test_create_bad_prefix_refused_5373970_or_5373997(name: str) -> None:
    assert_refused_with(_create(name), "5373970", "5373997")
    assert_refused_with(_create(name), "5373997", "5373970")


@pytest.mark.parametrize("name", ["iqn.20-01.com.example", "iqn.2020-1.com.example",
                                  "iqn.2020/01.com.example", "iqn.abcd-ef.com.example",
                                  "iqn.2020-01com.example", "iqn.\u0662\u0660\u0662\u0660-01.com.x"])
def test_create_bad_date_refused_5373971(name: str) -> None:
    assert_refused_with(_create(name), "5373971", "5373969")


def test_create_month_13_may_be_refused_5373971() -> None:
    expectation = _create("iqn.2020-13.com.example")
    assert expectation.success is not None
    assert {"5373971"} == {c for o in expectation.outcomes if not o.success for c in o.codes}


@pytest.mark.parametrize("name", ["iqn.2020-01.com.ex_ample", "iqn.2020-01.com.example:in_1",
                                  "iqn.2020-01.com.example:a b", "iqn.2020-01.com.example:é",
                                  "iqn.2020-01.com.example:a/b", "iqn.2020-01.com.example:a@b"])
def test_create_bad_characters_refused_5373972(name: str) -> None:
    assert_refused_with(_create(name), "5373972")


def test_create_uppercase_iqn_may_be_folded() -> None:
    expectation = _create("iqn.2020-01.com.Example:Init")
    assert expectation.success is not None
    assert all(o.codes <= {"5373972"} for o in expectation.outcomes if not o.success)


@pytest.mark.parametrize("name", ["eui.0123456789abcde", "eui.0123456789abcdef0", "eui.",
                                  "eui.01"])
def test_create_eui_wrong_length_refused_5373977(name: str) -> None:
    assert_refused_with(_create(name), "5373977", "5373978")


@pytest.mark.parametrize("name", ["eui.0123456789abcdeg", "eui.0123456789abcd-f",
                                  "eui.0x23456789abcdef"])
def test_create_eui_non_hex_refused_5373978(name: str) -> None:
    assert_refused_with(_create(name), "5373978", "5373977")


@pytest.mark.parametrize("name", ["initiator1", "default", "1992-08.com.netapp", "iqn",
                                  "eui0123456789abcdef", ".iqn.2020-01.com.x"])
def test_create_other_name_refused_5373997(name: str) -> None:
    assert_refused_with(_create(name), "5373997", "5373970", "5374142", "5373969")


def test_create_name_over_223_bytes_refused_or_deviating() -> None:
    name = "iqn.2020-01.com.example:" + "a" * 200
    assert len(name.encode()) == 224
    expectation = _create(name)
    refusals = [o for o in expectation.outcomes if not o.success]
    assert [o.rules for o in refusals] == [("CRED-INIT-009",)]
    assert refusals[0].codes is None
    assert expectation.success.deviates_from == ("CRED-INIT-009",)


def test_create_name_of_223_bytes_allows_201() -> None:
    name = "iqn.2020-01.com.example:" + "a" * 199
    assert len(name.encode()) == 223
    assert [o.success for o in _create(name).outcomes] == [True]


@pytest.mark.parametrize("name", [5, None, ["iqn.2020-01.com.x"], ""])
def test_create_initiator_not_a_name_refused(name: object) -> None:
    expectation = fresh_model().create(post_body(initiator=name) if name is not None
                                       else {"svm": {"name": "svm1"}, "authentication_type": "none"})
    assert expectation.must_fail
