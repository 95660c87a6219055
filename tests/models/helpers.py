"""Shared fixtures-as-functions for the model's self-tests."""

from __future__ import annotations

from models.outcomes import Expectation
from models.records import Svm
from models.rules import ENDPOINT_ERROR_CODES
from models.state import CredentialsModel

SVM1 = Svm("11111111-1111-1111-1111-111111111111", "svm1", True)
SVM2 = Svm("22222222-2222-2222-2222-222222222222", "svm2", True)
NO_ISCSI = Svm("33333333-3333-3333-3333-333333333333", "svm3", False)
UNKNOWN_UUID = "99999999-9999-9999-9999-999999999999"
IQN = "iqn.1992-08.com.netapp:initiator1"
GENERIC_CODES = frozenset({"2", "4"})
KNOWN_CODES = frozenset(ENDPOINT_ERROR_CODES) | GENERIC_CODES


def fresh_model() -> CredentialsModel:
    return CredentialsModel.fresh([SVM1, SVM2, NO_ISCSI])


def post_body(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {"svm": {"name": SVM1.name}, "initiator": IQN,
                               "authentication_type": "none"}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def error_codes(expectation: Expectation) -> set[str]:
    found: set[str] = set()
    for outcome in expectation.outcomes:
        if not outcome.success and outcome.codes is not None:
            found |= outcome.codes
    return found


def assert_refused_with(expectation: Expectation, code: str, *also: str) -> None:
    assert expectation.must_fail, expectation.describe()
    assert any(o.allows(400, code) or o.allows(404, code) for o in expectation.outcomes), \
        expectation.describe()
    assert error_codes(expectation) <= {code, *also}, expectation.describe()
    assert all(o.codes is not None for o in expectation.outcomes if not o.success), \
        expectation.describe()


def commit_success(model: CredentialsModel, expectation: Expectation) -> None:
    success = expectation.success
    assert success is not None, expectation.describe()
    model.commit(success)


def contains_password(value: object) -> bool:
    if isinstance(value, dict):
        return any(k == "password" or contains_password(v) for k, v in value.items())
    if isinstance(value, list):
        return any(contains_password(v) for v in value)
    return False
