"""One API call at a time: ask the model, send the request, judge the answer, commit.

Shared by the state machine and the example-based tests so that both judge responses the
same way. After every write the driver reads the record back, so a change that was not
applied (or applied wrongly) is blamed on the rule of the write, not on a later GET.

When a read disagrees with the model, a second reader decides whom to blame, as two
witnesses would: the instance GET and the collection see the same state, so if the other
one agrees with the model the first reader is wrong (CRED-GET-001, or the collection's
rule), and if it shows the same difference the state is wrong (the write just made, or,
with no write to explain it, CRED-STATE-001).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any
from urllib.parse import unquote, urlsplit

from conformance.judging import checks
from conformance.judging.judge import Judge
from conformance.judging.pages import read_all
from conformance.judging.readings import ALL, credential_from_json, record_key, same, shown_filters
from conformance.judging.scope import EVERYTHING, Scope
from conformance.judging.step_hook import attach, recorded
from conformance.judging.undecided import WRITE_ATTEMPTS, UndecidedWrites
from conformance.judging.verdicts import Verdict, broken, failing, passed
from conformance.judging.witnesses import (
    DEFAULT_RULE,
    FILTER_RULE,
    GET_RULE,
    OPERATORS_RULE,
    ORDINARY_PATCH,
    STATE_RULE,
    SecondWitnesses,
    reblame,
)
from conformance.wire.client import (
    CREDENTIALS_PATH,
    Client,
    Exchange,
    NoAnswer,
    passwords_in,
    record_path,
)
from models.bodies import CLEAR_OUTBOUND_SINCE
from models.outcomes import CODE_OWNERS, Expectation, Outcome
from models.query import FILTER_FIELDS
from models.records import DEFAULT_INITIATOR, Credential, Svm
from models.state import CredentialsModel, ListExpectation, flag

MISSING_CODES = frozenset({"5374895", "4"})
WIRE_RULE = "CRED-WIRE-001"
Key = tuple[str, str]

__all__ = ["ALL", "EVERYTHING", "STATE_RULE", "Driver", "Scope", "credential_from_json", "model_for"]


class _StepLine:
    """One request's line of the step program: its summary and curl command.

    Hypothesis keeps a note only when it prints the failing program (or runs verbose); it
    turns a note that is not a string into text with its repr, so the line (a redaction of
    the summary and of the curl command) is built then, not for every request.
    """

    __slots__ = ("exchange",)

    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange

    def __str__(self) -> str:
        return f"{self.exchange.summary()}\n    {self.exchange.as_curl()}"

    __repr__ = __str__


class Driver(SecondWitnesses, UndecidedWrites):
    """Drives one target and the model side by side.

    Args:
        client: the HTTP client of the target.
        model: the model of the target's state (it is updated as calls succeed).
        judge: where verdicts are recorded and how strict to be.
        note: receives one redacted line per exchange (Hypothesis ``note``).
        fresh_defaults: the target was just reset, so its ``default`` credentials are in
            the documented starting state (CRED-DEF-002) until a write changes them.
        scope: which records are the run's to judge exactly (see :class:`Scope`).
        observer: told of every judged write and followed page chain (the exploration report).
    """

    def __init__(self, client: Client, model: CredentialsModel, judge: Judge,
                 note: Callable[[str], None] | None = None, *, fresh_defaults: bool = False,
                 scope: Scope = EVERYTHING, observer: Callable[..., None] | None = None) -> None:
        self.client = client
        self.observer = observer
        self.model = model
        self.judge = judge
        self.scope = scope
        self.note = note or (lambda _line: None)
        self.pristine = {k for k in model.records if k[1] == DEFAULT_INITIATOR} if fresh_defaults else set()
        self.writes_applied = 0  # accepted writes: a later whole-state read judges CRED-STATE-001
        self.lost = ""  # why this driver stopped judging (a step got no usable answer)
        self._reading_back = ""  # the rule of a collection write whose effect is being read
        self.raw_colons = False  # record paths with the IQN's ':' raw, as Ansible sends them
        self._patching: tuple[Any, dict[str, str] | None] = (None, None)  # the PATCH being judged
        self.recorder = attach(self)  # whoever watches the steps (--record): each operation, each answer

    def send(self, method: str, path: str, *, params: dict[str, Any] | None = None,
             json: Any = None) -> Exchange:
        """Send a request, remember its secrets, and note it for the step program."""
        visible = [*_public_strings(json), *path.split("/"), *(str(v) for v in (params or {}).values())]
        self.judge.secrets.sending(passwords_in(json), visible)
        exchange = self.client.request(method, path, params=params, json=json)
        if self.recorder is not None:
            self.recorder.exchange(exchange)
        self.note(_StepLine(exchange))  # built only if Hypothesis prints it (a failure's replay)
        return exchange

    def path_of(self, key: Key) -> str:
        """A record's path as this driver sends it: the ``:`` of an IQN as %3A, or raw."""
        return record_path(*key, raw_colon=self.raw_colons)

    def lose_track(self, why: NoAnswer, step: str) -> None:
        """A step got no usable answer: record it as unjudged and stop judging.

        The model may no longer follow the target (a write whose outcome no read could
        decide), so nothing after it in this program is judged either. The run becomes
        inconclusive for this reason, never nonconformant.
        """
        self.lost = str(why)
        self.judge.ledger.error(step, f"unjudged after {why.attempts} attempts: {why}")

    def expect_judged(self, *rule_ids: str) -> None:
        """Raise ``NotJudged`` unless the responses this driver judged exercised each rule."""
        self.judge.expect_judged(*rule_ids)

    # ---- judging one answer ----------------------------------------------------------------------
    def screen(self, exchange: Exchange) -> str | None:
        """Judge what every response must honour; return its ONTAP error code, if any."""
        return self._screen(exchange, secret_exercised=bool(self.judge.secrets.current))

    def _screen(self, exchange: Exchange, *, secret_exercised: bool) -> str | None:
        """Judge what every response must honour (secrets, error envelope); return its code."""
        self.judge.apply(checks.secrets_not_returned(exchange, self.judge.secrets,
                                                     exercised=secret_exercised))
        self.judge.apply(checks.media_type_is_json(exchange))
        verdicts, code = checks.error_envelope(exchange)
        self.judge.apply(verdicts)
        return code

    def _judge_answer(self, exchange: Exchange, expectation: Expectation, *,
                      secret_exercised: bool, key: Key | None = None) -> Outcome | None:
        """Judge an answer against the outcomes the model allows; return the one it took."""
        code = self._screen(exchange, secret_exercised=secret_exercised)
        verdicts, outcome = checks.status_matches_model(exchange, expectation, code)
        raw = _raw_colon(exchange.path)
        if not failing(verdicts):
            self.judge.accepted_code(code, _alternatives(expectation, outcome))
            if raw and outcome is not None and outcome.success:
                verdicts += passed(exchange, WIRE_RULE)  # the raw ':' reached the record
        elif raw and key in self.model.records and code in MISSING_CODES and \
                self._peek(record_path(*key), None, key).status == 200:
            verdicts = [reblame(failing(verdicts)[0], [WIRE_RULE], "with %3A in place of the raw ':' "
                                "a GET finds the record")]
        elif key in self.model.records and code in MISSING_CODES and expectation.operation != "post":
            verdicts = self._gone(key, failing(verdicts)[0], read=expectation.operation == "get")
        self.judge.apply(verdicts)
        return outcome

    def _gone(self, key: Key, verdict: Verdict, *, read: bool = False) -> list[Verdict]:
        """A call answered "no such record" for a record the model holds: if a second witness
        agrees it is gone (a GET after a write; the collection after a GET), the record's
        existence is what broke (the default's, or the state's)."""
        if read:
            if key in self._witness_collection():
                return [verdict]
        elif self._peek(record_path(*key), None, key).status != 404:
            return [verdict]
        rule = DEFAULT_RULE if key[1] == DEFAULT_INITIATOR else STATE_RULE
        witness = "the collection lacks it too" if read else "a GET answers 404 too"
        return [reblame(verdict, [rule], f"the record is gone: {witness}")]

    # ---- writes ------------------------------------------------------------------------------
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

    def observed(self, operation: str, key: Key | None, outcome: Outcome | None,
                 **details: Any) -> Outcome | None:
        """Tell the observer (if any) what a judged call did; returns ``outcome``."""
        if self.observer is not None:
            self.observer(operation, key, outcome, **details)
        return outcome

    @recorded("update_collection", "filters", "body", "params")
    def update_collection(self, filters: dict[str, str], body: Any,
                          params: dict[str, str] | None = None) -> Outcome | None:
        """PATCH the collection with a query; then the whole collection must show the change
        on every matching record and on no other (CRED-PATCH-003)."""
        expectation = self.model.update_collection(filters, body, params)
        return self._collection_write("PATCH", {**filters, **(params or {})}, body, expectation,
                                      "CRED-PATCH-003")

    @recorded("delete_collection", "filters")
    def delete_collection(self, filters: dict[str, str]) -> Outcome | None:
        """DELETE the collection with a query; then exactly the matching records are gone
        (CRED-DEL-002)."""
        return self._collection_write("DELETE", dict(filters), None, self.model.delete_collection(filters),
                                      "CRED-DEL-002")

    def _collection_write(self, method: str, params: dict[str, str], body: Any, expectation: Expectation,
                          rule: str) -> Outcome | None:
        for _ in range(WRITE_ATTEMPTS):
            exchange = self._write(method, CREDENTIALS_PATH, params=params, json=body)
            if exchange is not None:
                break
            decided = self._decide_collection(expectation, rule)
            if decided is not None:
                return decided
        else:
            raise NoAnswer(f"{method} {CREDENTIALS_PATH}: the answer was lost every time and a read "
                           "never showed the write applied", WRITE_ATTEMPTS)
        outcome = self._judge_answer(exchange, expectation, secret_exercised=bool(passwords_in(body)))
        if outcome is not None and outcome.success:
            self._commit_collection(outcome)
            whole, records = read_all(self, {"fields": ALL, "max_records": "10000"})
            self._reading_back = rule  # a state that differs now is this write's doing
            try:
                self.compare_collection(records, self.model.list(), whole, rule)
            finally:
                self._reading_back = ""
        return outcome

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

    # ---- writes whose outcome is unknown --------------------------------------------------
    # ---- reads -------------------------------------------------------------------------------
    @recorded("get", "key", "fields")
    def get(self, key: Key, blame: dict[str, str] | None = None, fields: str | None = ALL,
            credit: Iterable[str] = (), before: tuple[Credential, ...] | None = None) -> Outcome | None:
        """GET one record and check it against the model.

        Args:
            blame: per field group, the rule a difference is blamed on (default: GET-001).
            fields: the ``fields`` parameter (``None``: none sent).
            credit: rules of an earlier write that this read judges (a read-back).
            before: for a read-back after a PATCH, the record's versions before it: a record
                that still equals one of them was not changed at all.
        """
        expectation = self.model.get(*key)
        params = {"fields": fields} if fields else None
        exchange = self.send("GET", self.path_of(key), params=params)
        outcome = self._judge_answer(exchange, expectation, secret_exercised=self._holds_secret(key), key=key)
        if outcome is None or not outcome.success:
            return outcome
        record = exchange.response_json
        learned, _ = self._learn_case(key, record.get("initiator") if isinstance(record, dict) else None)
        if learned != key:
            key, outcome = learned, self.model.get(*learned).success or outcome
        self.judge.apply(checks.record_form(record, exchange))
        wanted = None if fields == ALL else frozenset((fields or "").split(","))
        self.judge.apply(checks.fields_returned(record, wanted, exchange))
        blame = self._blame(key, blame or {ALL: GET_RULE})
        verdicts = checks.record_matches_model(
            record, outcome.result, exchange, credit=(*outcome.rules, *credit, *self._pristine(key)),
            blame=blame, fields=wanted)
        if failing(verdicts) and wanted is None:
            verdicts = self._ask_the_collection(key, verdicts, blame, before)
        self.judge.apply(verdicts)
        if fields == ALL:
            self.model.observe(record)
        return outcome

    def read_back(self, key: Key, *, credit: Iterable[str], blame: dict[str, str],
                  before: tuple[Credential, ...] | None = None) -> None:
        """GET a record right after a write; a difference is blamed on the write's rule."""
        credit = tuple(credit)
        if key in self.model.records:
            self.get(key, blame, credit=credit, before=before)
            return
        exchange = self.send("GET", record_path(*key))
        code = self._screen(exchange, secret_exercised=False)
        if exchange.status == 200 and record_key(exchange.response_json) == key:
            self.judge.apply([broken(exchange, [blame[ALL]], "the record is there, though the write "
                                     "should have left none", "a refusal: the record does not exist")])
        verdicts, _ = checks.status_matches_model(exchange, self.model.absent(*key), code)
        if not failing(verdicts):
            self.judge.accepted_code(code)
        self.judge.apply([*verdicts, *passed(exchange, *credit)])

    @recorded("list", "params", "count_only", "whole")
    def list(self, params: dict[str, Any] | None = None, *, count_only: bool = False,
             href: str | None = None, whole: bool = False) -> tuple[Exchange, list[Any]]:
        """GET the collection (or a link it gave, path and query exactly as given); check its
        form and return the exchange and its records.

        On a live target the query is narrowed to the run's scope (its SVMs, its initiators
        and the defaults, :meth:`Scope.narrow`) unless ``whole``: a read whose rule needs only
        the run's records then costs what they cost, not what the cluster holds.
        """
        if href is None and not whole:
            params, _ = self.scope.narrow(params)
        exchange = self.send("GET", href or CREDENTIALS_PATH, params=None if href else params)
        records_sent = (exchange.response_json or {}).get("records") if isinstance(
            exchange.response_json, dict) else None
        held = any(self._holds_secret(record_key(r)) for r in records_sent or [] if isinstance(r, dict))
        self._screen(exchange, secret_exercised=held)
        if exchange.status != 200:
            self.judge.apply([broken(exchange, ["CRED-LIST-001"], "collection GET did not answer 200",
                                     "200 with records and num_records")])
        verdicts, records = checks.collection_form(exchange.response_json, exchange, count_only=count_only,
                                                   seen=self.judge.ledger.foreign_form_seen(self.scope.foreign))
        self.judge.apply(verdicts)
        self._note_foreign(records)
        return exchange, records

    def _note_foreign(self, records: list[Any]) -> None:
        """Tell the ledger which foreign records a collection showed (for the report)."""
        keys = [record_key(r) for r in records if isinstance(r, dict)]
        foreign = [k for k in keys if self.scope.foreign(k)]
        if foreign:
            self.judge.ledger.saw_foreign(foreign, named=set(self.model.svms))

    @recorded("compare", "rule", "fields", "filtered", "membership_rule", "scoped")
    def compare_collection(self, records: list[Any], expected: ListExpectation, exchange: Exchange,
                           rule: str, *, fields: frozenset[str] | None = None,
                           filtered: bool = False, membership_rule: str | None = None,
                           scoped: bool | None = None) -> None:
        """The returned keys are the model's (required and maybe optional), each record agreeing.

        Args:
            rule: the rule of the query feature this collection judges.
            fields: the top-level fields asked for (``None``: all; empty: keys only).
            filtered: the query selects records (a filter, or one page of several), so a
                disagreement is first checked against the whole collection.
            membership_rule: the rule of which records are returned, when it is not ``rule``
                (a ``fields=`` query selects properties, not records).
            scoped: the query carried the run's scope (``None``: as ``exchange`` shows); its
                operators (CRED-LIST-004) then take part in which records come back.
        """
        membership = membership_rule or rule
        scoped = self.is_scoped(exchange) if scoped is None else scoped
        # Every record the run judges exactly is in a read that selects nothing but the scope.
        whole_state = not filtered and fields is None and self.writes_applied > 0
        if scoped:
            expected = expected.within(self.sent_scope(exchange) or self.scope.own_filter)
            filtered = True
        got = [record_key(r) for r in records]
        filters = {k: v for k, v in (exchange.params or {}).items() if k in FILTER_FIELDS}
        foreign = [r for r in records if self.scope.foreign(record_key(r)) and record_key(r) not in expected.records]
        self._foreign_match(foreign, shown_filters(filters, fields), exchange, rule, scoped)
        missing = expected.required - set(got)
        extra = set(got) - expected.required - expected.optional - {record_key(r) for r in foreign}
        if missing or extra or len(got) != len(set(got)):
            shown = {record_key(r): r for r in records if isinstance(r, dict)}
            rules = (self._membership_blame(membership, missing, extra, filtered, filters, shown, scoped)
                     if missing or extra else [membership])
            self.judge.apply([broken(exchange, rules, f"collection keys differ: missing {sorted(missing)}, "
                                     f"unexpected {sorted(map(str, extra))}"
                                     + (", duplicates" if len(got) != len(set(got)) else ""))])
        self.judge.apply(passed(exchange, membership))
        if fields == frozenset():
            return
        for record in records:
            key = record_key(record)
            versions = expected.records.get(key)
            if versions is None:
                continue
            if _asked_fields(exchange) is not None:
                returned = checks.fields_returned(record, fields, exchange)
                self.judge.apply(returned)
                if failing(returned):
                    continue  # a requested property is missing (CRED-GET-002): not a content difference
            verdicts = checks.record_matches_model(
                record, versions, exchange, credit=(rule, *self._pristine(key)),
                blame=self._blame(key, {ALL: rule}), fields=fields)
            if failing(verdicts) and fields is None:
                verdicts = self._ask_the_record(key, record, verdicts, rule, filtered)
            elif failing(verdicts):
                verdicts = self._ask_for_all_fields(key, verdicts)
            self.judge.apply(verdicts)
        if whole_state:
            # Every record, written or not, is as the writes of this run left it.
            self.judge.apply(passed(exchange, STATE_RULE))

    def is_scoped(self, exchange: Exchange) -> bool:
        """Whether a collection read carried the run's scope (see :meth:`list`)."""
        return bool(self.sent_scope(exchange))

    def sent_scope(self, exchange: Exchange) -> dict[str, str]:
        """The filters of the run's scope that a collection read carried."""
        params = exchange.params or {}
        return {k: v for k, v in self.scope.own_filter.items() if params.get(k) == v}

    def _foreign_match(self, foreign: list[Any], filters: dict[str, str], exchange: Exchange,
                       rule: str, scoped: bool = False) -> None:
        """A foreign record's content is unknown, but one a filter returned must match it.

        One that does not match is blamed on the query's rule, or, when a plain ``initiator=``
        filter returns the record too, on filtering itself (CRED-LIST-003); the run's scope is
        an operator query, so a foreign record a scoped read returns blames the operators
        (CRED-LIST-004) unless filtering itself is broken.
        """
        if not filters:
            return
        wrong = [r for r in foreign if self._matches(r, filters) is False]
        if wrong:
            blamed = [FILTER_RULE if self._plain_filter_keeps(record_key(r), r, filters) else
                      OPERATORS_RULE if scoped else rule for r in wrong[:3]]
            wrong = [record_key(r) for r in wrong]
            self.judge.apply([broken(exchange, list(dict.fromkeys(blamed)),
                                     f"records that do not match {filters}: {sorted(map(str, wrong))[:5]}",
                                     "only records matching the filters")])

    # ---- second witnesses ------------------------------------------------------------------------
    def _blame(self, key: Any, blame: dict[str, str]) -> dict[str, str]:
        """Blame a pristine default's differences on its documented starting state."""
        if key in self.pristine:
            return {**blame, "authentication_type": "CRED-DEF-002", "chap": "CRED-DEF-002",
                    "initiator_address": "CRED-DEF-002"}
        return blame

    def _pristine(self, key: Any) -> tuple[str, ...]:
        """CRED-DEF-002 is judged by a read of a default nobody has changed since the reset."""
        return ("CRED-DEF-002",) if key in self.pristine else ()

    def _holds_secret(self, key: Any) -> bool:
        """Whether the model knows this record to hold a CHAP password (a read could leak it)."""
        return any(v.inbound_password is not None or v.outbound_password is not None
                   for v in self.model.records.get(key, ()))

    # ---- helpers -----------------------------------------------------------------------------
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


def _alternatives(expectation: Expectation, outcome: Outcome | None) -> frozenset[str]:
    """The codes of the rules a refusal stands for that the model allowed for this request:
    an allowed refusal identifying a rule meets that rule's code requirement whichever of the
    allowed codes it chose (a correct target may always pick one side of a choice)."""
    if outcome is None or outcome.success or not outcome.rules:
        return frozenset()
    return frozenset(code for o in expectation.outcomes if not o.success and o.rules == outcome.rules
                     for code in o.codes or () if CODE_OWNERS.get(code) in outcome.rules)


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


def _asked_fields(exchange: Exchange) -> str | None:
    return (exchange.params or {}).get("fields")


def _created_key(outcome: Outcome | None) -> Key | None:
    if outcome is None or not outcome.success or not outcome.result:
        return None
    return outcome.result[0].key


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


def model_for(target: Any, client: Client) -> CredentialsModel:
    """The model of a target at the start of an example.

    On the emulator, the documented starting state (a ``default`` of type none per iSCSI
    SVM). On a live target, only what the run may know: each named SVM's ``default`` (as it
    is now when the run may change it and must restore it; otherwise known only to exist,
    since other clients may change it), and no record of other clients (they are foreign).
    """
    svms = [Svm(s.uuid, s.name, s.iscsi) for s in target.svms]
    if target.kind == "emulator":
        return CredentialsModel.fresh(svms, release=target.release)
    names = {s.uuid: s.name for s in svms}
    records = []
    for svm in svms:
        if not svm.iscsi:
            continue
        if target.default_changeable(svm.uuid):
            exchange = client.request("GET", record_path(svm.uuid, DEFAULT_INITIATOR), params={"fields": "*"})
            if exchange.status == 200 and isinstance(exchange.response_json, dict):
                records.append(credential_from_json(exchange.response_json, names))
                continue
        records.append(Credential.unknown(svm.uuid, svm.name, DEFAULT_INITIATOR))
    return CredentialsModel(svms, records, release=target.release)


def _raw_colon(path: str) -> bool:
    """Whether a record path carries a raw ``:`` in its initiator segment."""
    return path.startswith(CREDENTIALS_PATH + "/") and ":" in path.rpartition("/")[2]
