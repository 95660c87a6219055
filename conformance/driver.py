"""One API call at a time: ask the model, send the request, check the answer, commit.

Shared by the state machine and the example-based tests so that both judge responses the
same way. After every write the driver reads the record back, so a change that was not
applied (or applied wrongly) is blamed on the rule of the write, not on a later GET.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conformance.checks import Checker
from conformance.client import (
    CREDENTIALS_PATH,
    Client,
    Exchange,
    OutcomeUnknown,
    passwords_in,
    record_path,
)
from models.outcomes import Outcome
from models.records import DEFAULT_INITIATOR, UNKNOWN, Credential, Svm, differences
from models.state import CredentialsModel, ListExpectation, flag

ALL = "*"
WRITE_ATTEMPTS = 4  # a write that was shown not to be applied is sent again, at most this often


class Driver:
    """Drives one target and the model side by side.

    Args:
        client: the HTTP client of the target.
        model: the model of the target's state (it is updated as calls succeed).
        checker: where checks are counted and how strict they are.
        note: receives one redacted line per exchange (Hypothesis ``note``).
        observer: told of every judged write and followed page chain (the exploration report).
    """

    def __init__(self, client: Client, model: CredentialsModel, checker: Checker,
                 note: Callable[[str], None] | None = None, *, fresh_defaults: bool = False,
                 observer: Callable[..., None] | None = None) -> None:
        self.client = client
        self.model = model
        self.checker = checker
        self.note = note or (lambda _line: None)
        self.observer = observer
        # Default credentials nobody has changed yet: on a freshly reset emulator their
        # state is the documented starting state (CRED-DEF-002), so a difference is blamed there.
        self.pristine = {k for k in model.records if k[1] == DEFAULT_INITIATOR} if fresh_defaults else set()

    def send(self, method: str, path: str, *, params: dict[str, Any] | None = None,
             json: Any = None) -> Exchange:
        """Send a request, remember its secrets, and note it for the step program."""
        self.checker.current_secrets = passwords_in(json)
        for secret in self.checker.current_secrets:
            self.checker.secrets.add(secret)
        self.checker.public.update(_public_strings(json), path.split("/"),
                                   (str(v) for v in (params or {}).values()))
        exchange = self.client.request(method, path, params=params, json=json)
        self.note(f"{exchange.summary()}\n    {exchange.as_curl()}")
        return exchange

    # ---- writes ------------------------------------------------------------------------------
    def create(self, body: Any, *, return_records: bool = False) -> Outcome | None:
        """POST a body; check status, code, Location, and the record as read back."""
        expectation = self.model.create(body)
        params = {"return_records": "true"} if return_records else None
        exchange, decided = self._write_until_answered(
            "POST", CREDENTIALS_PATH, params, body, expectation, _created_key(expectation.success), True)
        if exchange is None:
            return self.observed("create", _created_key(decided), decided)
        outcome = self.checker.outcome(exchange, expectation)
        key = _created_key(outcome)
        if outcome is not None and outcome.success and key is not None:
            self.checker.location(exchange, key)
            if return_records:
                self._returned_record(exchange, outcome)
            self.model.commit(outcome)
            self.read_back(key, {ALL: "CRED-POST-001"})
        elif outcome is not None and not outcome.success:
            self._unchanged_after_refusal(body, outcome)
        return self.observed("create", key, outcome)

    def update(self, key: tuple[str, str], body: Any, params: dict[str, str] | None = None
               ) -> Outcome | None:
        """PATCH a record; check the answer and read the record back."""
        expectation = self.model.update(*key, body, params)
        exchange, decided = self._write_until_answered(
            "PATCH", record_path(*key), params or None, body, expectation, key, True)
        if exchange is None:
            return self.observed("update", key, decided)
        return self.observed("update", key, self._settle(exchange, expectation, key,
                                                         _patch_blame(key, body, params or {})))

    def delete(self, key: tuple[str, str]) -> Outcome | None:
        """DELETE a record; check the answer, then that it is gone (or still there)."""
        expectation = self.model.delete(*key)
        exchange, decided = self._write_until_answered(
            "DELETE", record_path(*key), None, None, expectation, key, False)
        if exchange is None:
            return self.observed("delete", key, decided)
        return self.observed("delete", key, self._settle(exchange, expectation, key, {ALL: "CRED-DEL-001"}))

    def observed(self, operation: str, key: tuple[str, str] | None, outcome: Outcome | None,
                 **details: Any) -> Outcome | None:
        """Tell the observer (if any) what a judged call did; returns ``outcome``."""
        if self.observer is not None:
            self.observer(operation, key, outcome, **details)
        return outcome

    def _settle(self, exchange: Exchange, expectation: Any, key: tuple[str, str],
                blame: dict[str, str]) -> Outcome | None:
        """Judge the answer to a PATCH or DELETE, commit it, and read the record back."""
        outcome = self.checker.outcome(exchange, expectation)
        if outcome is None:
            return None
        if outcome.success:
            self.model.commit(outcome)
            self.pristine.discard(key)
            self.read_back(key, blame)
        elif key in self.model.records:
            self.read_back(key, {ALL: outcome.rules[0]})
        return outcome

    # ---- writes whose outcome is unknown --------------------------------------------------
    def _write(self, method: str, path: str, *, params: dict[str, Any] | None = None,
               json: Any = None) -> Exchange | None:
        """Send a write; None when its outcome is unknown (dropped, timed out, 429/5xx)."""
        try:
            return self.send(method, path, params=params, json=json)
        except OutcomeUnknown as exc:
            self.checker.ledger.indeterminate += 1
            self.note(f"{method} {path}: outcome unknown ({exc}); a read decides")
            return None

    def _decide(self, expectation: Any, key: tuple[str, str] | None,
                *, applied_if_present: bool) -> Outcome | None:
        """Decide an indeterminate write by reading its record, then commit what happened.

        Both possible states are kept until this read: the write was applied (its success
        outcome) or not (the model unchanged). A record that matches neither is blamed on
        the write's rules.
        """
        success = expectation.success
        if key is None or success is None:
            return None
        exchange = self.send("GET", record_path(*key), params={"fields": ALL})
        self.checker.no_secrets(exchange)
        code = self.checker.envelope(exchange)
        present = exchange.status == 200
        if not present and (exchange.status != 404 or code != "4"):
            self.checker.fail(["CRED-MISS-002"], "an unknown record did not answer 404 code 4", exchange,
                              documented="200 with the record, or 404 with code 4")
        applied = present == applied_if_present
        if applied and present:
            self.checker.record_form(exchange.response_json, exchange)
            before = self.model.records.get(key)
            candidates = success.result + (before or ())
            self.checker.agrees(exchange.response_json, candidates, {ALL: success.rules[0]}, exchange)
            applied = any(not differences(v, exchange.response_json) for v in success.result)
        if applied:
            self.model.commit(success)
            self.pristine.discard(key)
            if present:
                self.model.observe(exchange.response_json)
            return success
        return None

    def _write_until_answered(self, method: str, path: str, params: dict[str, Any] | None, body: Any,
                              expectation: Any, key: tuple[str, str] | None, applied_if_present: bool
                              ) -> tuple[Exchange | None, Outcome | None]:
        """Send a write; when its outcome is unknown, read to decide, and send it again only
        once the read shows it was not applied (so the change is never made twice).

        Returns the answered exchange, or ``(None, outcome)`` when a read showed the write
        was applied (the outcome committed) or when it stayed unanswered every time.
        """
        for _ in range(WRITE_ATTEMPTS):
            exchange = self._write(method, path, params=params, json=body)
            if exchange is not None:
                return exchange, None
            decided = self._decide(expectation, key, applied_if_present=applied_if_present)
            if decided is not None:
                return None, decided
        return None, None

    # ---- reads -------------------------------------------------------------------------------
    def get(self, key: tuple[str, str], blame: dict[str, str] | None = None,
            fields: str | None = ALL) -> Outcome | None:
        """GET one record and check it against the model."""
        expectation = self.model.get(*key)
        params = {"fields": fields} if fields else None
        exchange = self.send("GET", record_path(*key), params=params)
        outcome = self.checker.outcome(exchange, expectation)
        if outcome is not None and outcome.success:
            record = exchange.response_json
            self.checker.record_form(record, exchange)
            wanted = None if fields == ALL else frozenset((fields or "").split(","))
            self.checker.fields_present(record, wanted, exchange)
            self.checker.agrees(record, outcome.result, self._blame(key, blame or {ALL: "CRED-GET-001"}),
                                exchange, fields=wanted)
            if fields == ALL:
                self.model.observe(record)
        return outcome

    def read_back(self, key: tuple[str, str], blame: dict[str, str]) -> None:
        """GET a record right after a write; a difference is blamed on the write's rule."""
        if key in self.model.records:
            self.get(key, blame)
            return
        exchange = self.send("GET", record_path(*key))
        code = self.checker.envelope(exchange)
        if exchange.status == 200 and _key(exchange.response_json) == key:
            self.checker.fail([blame[ALL]], "the record is there, though the write should have left "
                              "none", exchange, documented="404 with code 4")
        if exchange.status != 404 or code != "4":
            self.checker.fail(["CRED-MISS-002"], "a missing record did not answer 404 with code 4",
                              exchange, documented="404 with code 4")
        self.checker.passed([blame[ALL], "CRED-MISS-002"])

    def list(self, params: dict[str, Any] | None = None, *, count_only: bool = False,
             href: str | None = None) -> tuple[Exchange, list[Any]]:
        """GET the collection (or a link it gave, path and query as given); check its form and
        return the exchange and its records."""
        exchange = self.send("GET", href or CREDENTIALS_PATH, params=None if href else params)
        self.checker.no_secrets(exchange)
        self.checker.envelope(exchange)
        if exchange.status != 200:
            self.checker.fail(["CRED-LIST-001"], "collection GET did not answer 200", exchange,
                              documented="200 with records and num_records")
        return exchange, self.checker.collection_form(exchange.response_json, exchange,
                                                      count_only=count_only)

    def compare_collection(self, records: list[Any], expected: ListExpectation, exchange: Exchange,
                           rule: str, *, fields: frozenset[str] | None = None) -> None:
        """The returned keys are the model's (required and maybe optional), each record agreeing."""
        got = [_key(r) for r in records]
        missing = expected.required - set(got)
        extra = set(got) - expected.required - expected.optional
        duplicates = len(got) != len(set(got))
        if missing or extra or duplicates:
            self.checker.fail([rule], f"collection keys differ: missing {sorted(missing)}, "
                                      f"unexpected {sorted(map(str, extra))}"
                                      + (", duplicates" if duplicates else ""), exchange)
        self.checker.passed([rule])
        for record in records:
            versions = expected.records.get(_key(record))
            if versions is not None and fields != frozenset():
                if _asked_fields(exchange) is not None:
                    self.checker.fields_present(record, fields, exchange)
                self.checker.agrees(record, versions, self._blame(_key(record), {ALL: rule}), exchange,
                                    fields=fields)

    def _blame(self, key: Any, blame: dict[str, str]) -> dict[str, str]:
        """Blame a pristine default's differences on its documented starting state."""
        if key in self.pristine:
            return {**blame, "authentication_type": "CRED-DEF-002", "chap": "CRED-DEF-002",
                    "initiator_address": "CRED-DEF-002"}
        return blame

    # ---- helpers -----------------------------------------------------------------------------
    def _returned_record(self, exchange: Exchange, outcome: Outcome) -> None:
        body = exchange.response_json
        records = body.get("records") if isinstance(body, dict) else None
        if not isinstance(records, list) or len(records) != 1:
            self.checker.fail(["CRED-POST-005"], "return_records=true did not return the record", exchange)
            return
        self.checker.record_form(records[0], exchange)
        self.checker.agrees(records[0], outcome.result, {ALL: "CRED-POST-005"}, exchange,
                            fields=frozenset(k for k in records[0] if k != "_links"))

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
            self.read_back(key, {ALL: outcome.rules[0]})


def _patch_blame(key: tuple[str, str], body: Any, params: dict[str, str]) -> dict[str, str]:
    """Which rule a difference in each field group after a PATCH is blamed on."""
    blame = {ALL: "CRED-PATCH-001"}
    if key[1] == "default" and isinstance(body, dict) and "authentication_type" in body:
        blame["authentication_type"] = "CRED-DEF-003"
    if flag(params, "add_initiator_addresses"):
        blame["initiator_address"] = "CRED-ADDR-008"
    elif flag(params, "remove_initiator_addresses"):
        blame["initiator_address"] = "CRED-ADDR-009"
    else:
        blame["initiator_address"] = "CRED-ADDR-007"
    return blame


def _asked_fields(exchange: Exchange) -> str | None:
    return (exchange.params or {}).get("fields")


def _created_key(outcome: Outcome | None) -> tuple[str, str] | None:
    if outcome is None or not outcome.success or not outcome.result:
        return None
    return outcome.result[0].key


def _key(record: Any) -> tuple[Any, Any]:
    if not isinstance(record, dict):
        return (None, None)
    svm = record.get("svm")
    return (svm.get("uuid") if isinstance(svm, dict) else None, record.get("initiator"))


def _public_strings(obj: Any) -> list[str]:
    """Every string of a body except password values (keys included)."""
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [k for k in obj if isinstance(k, str)] + [
            p for k, v in obj.items() if k != "password" for p in _public_strings(v)]
    if isinstance(obj, list):
        return [p for item in obj for p in _public_strings(item)]
    return []


def credential_from_json(record: dict[str, Any], svm_names: dict[str, str]) -> Credential:
    """A model record for a record that existed before the run (its secrets are unknown)."""
    from models.addresses import parse_returned_mask, parse_returned_range

    svm = record.get("svm") or {}
    chap = record.get("chap") or {}
    inbound, outbound = chap.get("inbound") or {}, chap.get("outbound") or {}
    addresses = record.get("initiator_address") or {}
    uuid = str(svm.get("uuid"))
    return Credential(
        uuid, svm_names.get(uuid, str(svm.get("name"))), str(record.get("initiator")),
        str(record.get("authentication_type", "none")).lower(),
        inbound.get("user"), UNKNOWN if inbound.get("user") else None,
        outbound.get("user"), UNKNOWN if outbound.get("user") else None,
        frozenset(r for r in map(parse_returned_range, addresses.get("ranges") or []) if r),
        frozenset(m for m in map(parse_returned_mask, addresses.get("masks") or []) if m),
    )


def model_for(target: Any, client: Client) -> CredentialsModel:
    """The model of a target at the start of an example.

    On the emulator, the documented starting state (a ``default`` of type none per iSCSI
    SVM); on a live target, what is there now (records that predate the run included).
    """
    svms = [Svm(s.uuid, s.name, s.iscsi) for s in target.svms]
    if target.kind == "emulator":
        return CredentialsModel.fresh(svms)
    exchange = client.request("GET", CREDENTIALS_PATH, params={"fields": "*", "max_records": 10000})
    names = {s.uuid: s.name for s in svms}
    known = set(names)
    records = [credential_from_json(r, names) for r in (exchange.response_json or {}).get("records") or []
               if (r.get("svm") or {}).get("uuid") in known]
    return CredentialsModel(svms, records)
