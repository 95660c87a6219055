"""Writes of one record: POST, PATCH and DELETE, each judged and read back.

After every write the driver reads the record back, so a change that was not applied (or
applied wrongly) is blamed on the rule of the write, not on a later GET; a refused create
must have created nothing. Which rule a difference after a write is blamed on depends on
what the write set (:func:`_create_blame`, :func:`_patch_blame`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import unquote, urlsplit

from conformance.judging import checks
from conformance.judging.readings import ALL, same
from conformance.judging.step_hook import recorded
from conformance.judging.verdicts import broken, failing
from conformance.judging.witnesses import ORDINARY_PATCH
from conformance.wire.client import CREDENTIALS_PATH, Exchange, passwords_in, record_path
from models.bodies import CLEAR_OUTBOUND_SINCE
from models.outcomes import Expectation, Outcome
from models.records import DEFAULT_INITIATOR, Credential
from models.state import flag

Key = tuple[str, str]


class RecordWrites:
    """Mixed into the driver: create, update and delete of one record."""

    @recorded("create", "body", "return_records")
    def create(self, body: Any, *, return_records: bool = False) -> Outcome | None:
        """POST a body; check status, code, Location, and the record as read back."""
        expectation = self.model.create(body)
        params = {"return_records": "true"} if return_records else None
        exchange, decided = self._write_until_answered(
            "POST", CREDENTIALS_PATH, params, body, expectation, _created_key(expectation.success), True)
        if exchange is None:
            return self.observed("create", _created_key(decided), decided)
        outcome = self._judge_answer(exchange, expectation, secret_exercised=bool(passwords_in(body)))
        key = _created_key(outcome)
        if outcome is not None and outcome.success and key is not None:
            self.writes_applied += 1
            self.model.commit(outcome)
            key, outcome = self._learn_case(key, _location_name(exchange, key), outcome)
            self.judge.apply(checks.location_names_record(exchange, key))
            if return_records:
                self._returned_record(exchange, outcome)
            self.read_back(key, credit=outcome.rules, blame=_create_blame(outcome))
        elif outcome is not None and not outcome.success:
            self._unchanged_after_refusal(body, outcome)
        return self.observed("create", key, outcome)

    @recorded("update", "key", "body", "params")
    def update(self, key: Key, body: Any, params: dict[str, str] | None = None) -> Outcome | None:
        """PATCH a record; check the answer and read the record back."""
        expectation = self.model.update(*key, body, params)
        exchange, decided = self._write_until_answered(
            "PATCH", self.path_of(key), params or None, body, expectation, key, True)
        if exchange is None:
            return self.observed("update", key, decided)
        self._patching = (body, params)  # a second witness may send a part of it again
        try:
            outcome = self._settle(exchange, expectation, key,
                                   _patch_blame(key, body, params or {}, self.model.release),
                                   secret_exercised=bool(passwords_in(body)))
        finally:
            self._patching = (None, None)
        return self.observed("update", key, outcome)

    @recorded("delete", "key")
    def delete(self, key: Key) -> Outcome | None:
        """DELETE a record; check the answer, then that it is gone (or still there)."""
        expectation = self.model.delete(*key)
        exchange, decided = self._write_until_answered(
            "DELETE", self.path_of(key), None, None, expectation, key, False)
        if exchange is None:
            return self.observed("delete", key, decided)
        return self.observed("delete", key, self._settle(exchange, expectation, key, {ALL: "CRED-DEL-001"},
                                                         secret_exercised=False))

    def _learn_case(self, key: Key, stored: Any, outcome: Outcome | None = None) -> tuple[Key, Outcome | None]:
        """Whether the target folds the case of initiator names (OQ-5): the first created name
        with upper-case letters that it reports back (``stored``: from ``Location`` or a read)
        decides for the rest of the program. Returns the record's key and the outcome as the
        target stored them."""
        if self.model.folds_case is not None or not isinstance(stored, str) or key not in self.model.records \
                or key[1] == key[1].lower() or stored.casefold() != key[1].casefold():
            return key, outcome
        if stored == key[1]:
            self.model.folds_case = False
            return key, outcome
        folded = self.model.fold(key, stored)
        if outcome is not None:
            outcome = replace(outcome, records=dict(self.model.records),
                              result=tuple(replace(v, initiator=stored) for v in outcome.result))
        return folded, outcome

    def _settle(self, exchange: Exchange, expectation: Expectation, key: Key,
                blame: dict[str, str], *, secret_exercised: bool) -> Outcome | None:
        """Judge the answer to a PATCH or DELETE, commit it, and read the record back."""
        outcome = self._judge_answer(exchange, expectation, secret_exercised=secret_exercised, key=key)
        if outcome is None:
            return None
        if outcome.success:
            self.writes_applied += 1
            before = self.model.records.get(key)
            self.model.commit(outcome)
            self.pristine.discard(key)
            self.read_back(key, credit=outcome.rules, blame=blame, before=before)
            if expectation.operation == "patch" and key[1] != DEFAULT_INITIATOR and \
                    _visible(before) != _visible(self.model.records.get(key)):
                self.judge.ledger.seen[ORDINARY_PATCH] += 1  # a change a read can see, seen applied
        elif key in self.model.records:
            rule = (outcome.rules or (checks.BASE_RULES[expectation.operation],))[0]
            self.read_back(key, credit=outcome.rules, blame={ALL: rule})
        return outcome

    def _returned_record(self, exchange: Exchange, outcome: Outcome) -> None:
        body = exchange.response_json
        records = body.get("records") if isinstance(body, dict) else None
        if not isinstance(records, list) or len(records) != 1:
            self.judge.apply([broken(exchange, ["CRED-POST-005"], "return_records=true did not return the record",
                                     '{"num_records": 1, "records": [the created record]}')])
            return
        self.judge.apply(checks.record_form(records[0], exchange))
        returned = frozenset(k for k in records[0] if k != "_links")
        verdicts = checks.record_matches_model(records[0], outcome.result, exchange, credit=("CRED-POST-005",),
                                               blame={ALL: "CRED-POST-005"}, fields=returned)
        key = _created_key(outcome)
        if failing(verdicts) and key is not None and self._faithful(records[0], key):
            # The record came back as the target holds it: the create is wrong, not return_records.
            verdicts = checks.record_matches_model(records[0], outcome.result, exchange, credit=(),
                                                   blame=_create_blame(outcome), fields=returned)
        self.judge.apply(verdicts)

    def _faithful(self, returned: Any, key: Key) -> bool:
        """The record's GET shows what a write returned of it (the returned fields only)."""
        exchange = self._peek(record_path(*key), {"fields": ALL}, key)
        read = exchange.response_json if exchange.status == 200 else None
        if not isinstance(read, dict) or not isinstance(returned, dict):
            return False
        return same({k: read.get(k) for k in returned}, returned)  # same() sets _links aside

    def _unchanged_after_refusal(self, body: Any, outcome: Outcome) -> None:
        """A refused create must not have created anything."""
        if not isinstance(body, dict) or not isinstance(body.get("initiator"), str):
            return
        svm = body.get("svm") if isinstance(body.get("svm"), dict) else {}
        resolved = self.model.svms.get(svm.get("uuid")) or self.model.svm_by_name(str(svm.get("name")))
        if resolved is None:
            return
        key = (resolved.uuid, body["initiator"])
        if key not in self.model.records:
            rule = (outcome.rules or ("CRED-POST-001",))[0]
            self.read_back(key, credit=outcome.rules, blame={ALL: rule})


def _location_name(exchange: Exchange, key: Key) -> str | None:
    """The initiator a 201's ``Location`` names when it names the record's SVM (None else)."""
    header = {k.lower(): v for k, v in exchange.response_headers.items()}.get("location")
    if not header:
        return None
    svm, _, initiator = unquote(urlsplit(header).path).rstrip("/").rpartition("/")
    return initiator if svm.endswith(f"/{key[0]}") else None


def _visible(versions: tuple[Credential, ...] | None) -> list[str]:
    """What a read can show of a record's possible versions (passwords are write-only)."""
    return sorted(str(v.as_json()) for v in versions or ())


def _create_blame(outcome: Outcome) -> dict[str, str]:
    """A created record that reads back differently breaks POST-001, or the address rule the
    body exercised when only its addresses differ."""
    blame = {ALL: "CRED-POST-001"}
    address_rules = [r for r in outcome.rules if r.startswith("CRED-ADDR-")]
    if address_rules:
        blame["initiator_address"] = address_rules[0]
    return blame


def _patch_blame(key: Key, body: Any, params: dict[str, str], release: tuple[int, int, int]) -> dict[str, str]:
    """Which rule a difference in each field group after a PATCH is blamed on."""
    blame = {ALL: "CRED-PATCH-001"}
    if not isinstance(body, dict):
        return blame
    chap = body.get("chap")
    if release >= CLEAR_OUTBOUND_SINCE and isinstance(chap, dict) and isinstance(chap.get("outbound"), dict) \
            and chap["outbound"].get("user") == "":
        blame["chap"] = "CRED-CHAP-010"
    if key[1] == DEFAULT_INITIATOR and "authentication_type" in body:
        blame["authentication_type"] = "CRED-DEF-003"
    if body.get("initiator_address") is not None:
        if flag(params, "add_initiator_addresses"):
            blame["initiator_address"] = "CRED-ADDR-008"
        elif flag(params, "remove_initiator_addresses"):
            blame["initiator_address"] = "CRED-ADDR-009"
        else:
            blame["initiator_address"] = "CRED-ADDR-007"
    return blame


def _created_key(outcome: Outcome | None) -> Key | None:
    if outcome is None or not outcome.success or not outcome.result:
        return None
    return outcome.result[0].key
