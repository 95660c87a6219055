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

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from conformance import checks
from conformance.client import (
    CREDENTIALS_PATH,
    Client,
    Exchange,
    NoAnswer,
    OutcomeUnknown,
    passwords_in,
    record_path,
)
from conformance.judge import Judge
from conformance.recording import attach, recorded
from conformance.verdicts import Verdict, broken, failing, passed
from models.bodies import CLEAR_OUTBOUND_SINCE
from models.outcomes import Expectation, Outcome
from models.query import FILTER_FIELDS, record_matches
from models.records import DEFAULT_INITIATOR, UNKNOWN, Credential, Svm, differences
from models.state import CredentialsModel, ListExpectation, flag

ALL = "*"
WRITE_ATTEMPTS = 8  # a write that was shown not to be applied is sent again, at most this often
GET_RULE = "CRED-GET-001"
LIST_RULE = "CRED-LIST-002"
STATE_RULE = "CRED-STATE-001"
DEFAULT_RULE = "CRED-DEF-001"
ORDINARY_PATCH = "ordinary PATCH applied"
MISSING_CODES = frozenset({"5374895", "4"})
Key = tuple[str, str]


def _nothing_foreign(_key: Key) -> bool:
    return False


@dataclass(frozen=True)
class Scope:
    """Which records the run judges exactly.

    On a shared cluster other clients create, change and delete their own credentials while
    the run goes, and SVMs the run was not told about hold records too. Those records are
    *foreign*: present or absent at any moment, their content unknown. Collection checks
    judge the run's own records (and each named SVM's ``default``) exactly, and judge
    foreign records only where a rule needs no knowledge of their content (they must match
    a filter, keep the order, never repeat). ``own_filter`` selects the run's own records in
    a query where a count must be exact.
    """

    foreign: Callable[[Key], bool] = _nothing_foreign
    own_filter: Mapping[str, str] = field(default_factory=dict)


#: The embedded emulator is reset before each test and program: nothing there is foreign.
EVERYTHING = Scope()


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


class Driver:
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
        self.recorder = attach(self)  # --record / --replay: notes each operation and its answers

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
        verdicts, code = checks.error_envelope(exchange)
        self.judge.apply(verdicts)
        return code

    def _judge_answer(self, exchange: Exchange, expectation: Expectation, *,
                      secret_exercised: bool, key: Key | None = None) -> Outcome | None:
        """Judge an answer against the outcomes the model allows; return the one it took."""
        code = self._screen(exchange, secret_exercised=secret_exercised)
        verdicts, outcome = checks.status_matches_model(exchange, expectation, code)
        if not failing(verdicts):
            self.judge.accepted_code(code)
        elif key in self.model.records and code in MISSING_CODES and expectation.operation != "post":
            verdicts = self._gone(key, failing(verdicts)[0])
        self.judge.apply(verdicts)
        return outcome

    def _gone(self, key: Key, verdict: Verdict) -> list[Verdict]:
        """A write answered "no such record" for a record the model holds: if a GET agrees it
        is gone, the record's existence is what broke (the default's, or the state's)."""
        exchange = self._peek(record_path(*key), None, key)
        if exchange.status != 404:
            return [verdict]
        rule = DEFAULT_RULE if key[1] == DEFAULT_INITIATOR else STATE_RULE
        return [_reblame(verdict, [rule], "the record is gone: a GET answers 404 too")]

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
            self.judge.apply(checks.location_names_record(exchange, key))
            if return_records:
                self._returned_record(exchange, outcome)
            self.model.commit(outcome)
            self.read_back(key, credit=outcome.rules, blame=_create_blame(outcome))
        elif outcome is not None and not outcome.success:
            self._unchanged_after_refusal(body, outcome)
        return self.observed("create", key, outcome)

    @recorded("update", "key", "body", "params")
    def update(self, key: Key, body: Any, params: dict[str, str] | None = None) -> Outcome | None:
        """PATCH a record; check the answer and read the record back."""
        expectation = self.model.update(*key, body, params)
        exchange, decided = self._write_until_answered(
            "PATCH", record_path(*key), params or None, body, expectation, key, True)
        if exchange is None:
            return self.observed("update", key, decided)
        return self.observed("update", key, self._settle(
            exchange, expectation, key, _patch_blame(key, body, params or {}, self.model.release),
            secret_exercised=bool(passwords_in(body))))

    @recorded("delete", "key")
    def delete(self, key: Key) -> Outcome | None:
        """DELETE a record; check the answer, then that it is gone (or still there)."""
        expectation = self.model.delete(*key)
        exchange, decided = self._write_until_answered(
            "DELETE", record_path(*key), None, None, expectation, key, False)
        if exchange is None:
            return self.observed("delete", key, decided)
        return self.observed("delete", key, self._settle(exchange, expectation, key, {ALL: "CRED-DEL-001"},
                                                         secret_exercised=False))

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
            whole, records = self.list({"fields": ALL, "max_records": "10000"})
            self._reading_back = rule  # a state that differs now is this write's doing
            try:
                self.compare_collection(records, self.model.list(), whole, rule)
            finally:
                self._reading_back = ""
        return outcome

    def _commit_collection(self, outcome: Outcome) -> None:
        self.writes_applied += 1
        self.model.commit(outcome)
        self.pristine -= {k for k in self.pristine if k not in self.model.records or
                          k in {v.key for v in outcome.result or ()}}

    def _decide_collection(self, expectation: Expectation, rule: str) -> Outcome | None:
        """Decide a query-based write whose answer was lost by reading the whole collection.

        The collection shows either the state before the write (it was not applied: send it
        again), the state its success predicts (applied: commit it, and the read credits its
        rule), or neither: the write changed something its rule does not allow, and the
        collection is compared with the predicted state on that rule.
        """
        success = expectation.success
        if success is None:
            return None  # only refusals predicted: a refusal changes nothing, so it can be sent again
        exchange, records = self.list({"fields": ALL, "max_records": "10000"})
        if exchange.status != 200:
            return None
        after = dict(success.records or {})
        shown = {_key(r): r for r in records if isinstance(r, dict) and not (
            self.scope.foreign(_key(r)) and _key(r) not in self.model.records and _key(r) not in after)}

        def holds(state: dict[Key, tuple[Credential, ...]]) -> bool:
            return set(shown) == set(state) and all(_agrees(shown[k], state[k]) for k in state)

        if holds(self.model.records) and not holds(after):
            return None
        self._commit_collection(success)
        if holds(after):
            self.judge.apply(passed(exchange, *success.rules))
            return success
        self._reading_back = rule
        try:
            self.compare_collection(records, self.model.list(), exchange, rule)
        finally:
            self._reading_back = ""
        return success

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
    def _write(self, method: str, path: str, *, params: dict[str, Any] | None = None,
               json: Any = None) -> Exchange | None:
        """Send a write; None when its outcome is unknown (dropped, timed out, 429/5xx)."""
        try:
            return self.send(method, path, params=params, json=json)
        except OutcomeUnknown as exc:
            self.judge.ledger.indeterminate += 1
            self.note(f"{method} {path}: outcome unknown ({exc}); a read decides")
            return None

    def _decide(self, expectation: Expectation, key: Key | None,
                *, applied_if_present: bool) -> Outcome | None:
        """Decide an indeterminate write by reading its record, then commit what happened.

        Both possible states are kept until this read: the write was applied (its success
        outcome) or not (the model unchanged). A record that matches neither is blamed on
        the write's rules.
        """
        success = expectation.success
        if key is None or success is None:
            return None
        before = self.model.records.get(key)
        exchange = self.send("GET", record_path(*key), params={"fields": ALL})
        code = self._screen(exchange, secret_exercised=self._holds_secret(key))
        present = exchange.status == 200
        if not present:
            verdicts, _ = checks.status_matches_model(exchange, self.model.absent(*key), code)
            self.judge.apply(verdicts)
        applied = present == applied_if_present
        if applied and present:
            self.judge.apply(checks.record_form(exchange.response_json, exchange))
            candidates = success.result + (before or ())
            self.judge.apply(checks.record_matches_model(
                exchange.response_json, candidates, exchange, credit=(), blame={ALL: success.rules[0]}))
            applied = any(not differences(v, exchange.response_json) for v in success.result)
        if applied:
            # The write's own answer was lost, but this read shows it applied as its rules say.
            self.judge.apply(passed(exchange, *success.rules))
            self.writes_applied += 1
            self.model.commit(success)
            self.pristine.discard(key)
            if present:
                self.model.observe(exchange.response_json)
            return success
        return None

    def _write_until_answered(self, method: str, path: str, params: dict[str, Any] | None, body: Any,
                              expectation: Expectation, key: Key | None, applied_if_present: bool
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
        exchange = self.send("GET", record_path(*key), params=params)
        outcome = self._judge_answer(exchange, expectation, secret_exercised=self._holds_secret(key))
        if outcome is None or not outcome.success:
            return outcome
        record = exchange.response_json
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

    def _unchanged(self, key: Key, verdict: Verdict, blame: dict[str, str]) -> Verdict:
        """A PATCH that answered 200 left the record as it was.

        Until this run has seen an ordinary PATCH apply, nothing tells "PATCH is not applied
        at all" from "this field's rule is broken": the PATCH rule itself is blamed. Once
        PATCH is known to work, the rules of the fields that should have changed keep the
        blame (e.g. CRED-DEF-003 for a default's type, CRED-ADDR-007 for a merge that left
        the list as it was).
        """
        if self.judge.ledger.seen[ORDINARY_PATCH] and key[1] != DEFAULT_INITIATOR:
            return verdict
        if self.judge.ledger.seen[ORDINARY_PATCH] and blame.get("authentication_type") == "CRED-DEF-003":
            return _reblame(verdict, ["CRED-DEF-003"], "PATCHes of other records apply")
        return _reblame(verdict, [blame[ALL]], "the write answered 200 but changed nothing")

    def read_back(self, key: Key, *, credit: Iterable[str], blame: dict[str, str],
                  before: tuple[Credential, ...] | None = None) -> None:
        """GET a record right after a write; a difference is blamed on the write's rule."""
        credit = tuple(credit)
        if key in self.model.records:
            self.get(key, blame, credit=credit, before=before)
            return
        exchange = self.send("GET", record_path(*key))
        code = self._screen(exchange, secret_exercised=False)
        if exchange.status == 200 and _key(exchange.response_json) == key:
            self.judge.apply([broken(exchange, [blame[ALL]], "the record is there, though the write "
                                     "should have left none", "a refusal: the record does not exist")])
        verdicts, _ = checks.status_matches_model(exchange, self.model.absent(*key), code)
        if not failing(verdicts):
            self.judge.accepted_code(code)
        self.judge.apply([*verdicts, *passed(exchange, *credit)])

    @recorded("list", "params", "count_only")
    def list(self, params: dict[str, Any] | None = None, *, count_only: bool = False,
             href: str | None = None) -> tuple[Exchange, list[Any]]:
        """GET the collection (or a link it gave, path and query exactly as given); check its
        form and return the exchange and its records."""
        exchange = self.send("GET", href or CREDENTIALS_PATH, params=None if href else params)
        records_sent = (exchange.response_json or {}).get("records") if isinstance(
            exchange.response_json, dict) else None
        held = any(self._holds_secret(_key(r)) for r in records_sent or [] if isinstance(r, dict))
        self._screen(exchange, secret_exercised=held)
        if exchange.status != 200:
            self.judge.apply([broken(exchange, ["CRED-LIST-001"], "collection GET did not answer 200",
                                     "200 with records and num_records")])
        verdicts, records = checks.collection_form(exchange.response_json, exchange, count_only=count_only)
        self.judge.apply(verdicts)
        self._note_foreign(records)
        return exchange, records

    def _note_foreign(self, records: list[Any]) -> None:
        """Tell the ledger which foreign records a collection showed (for the report)."""
        keys = [_key(r) for r in records if isinstance(r, dict)]
        foreign = [k for k in keys if self.scope.foreign(k)]
        if foreign:
            self.judge.ledger.saw_foreign(foreign, named=set(self.model.svms))

    @recorded("compare", "rule", "fields", "filtered", "membership_rule")
    def compare_collection(self, records: list[Any], expected: ListExpectation, exchange: Exchange,
                           rule: str, *, fields: frozenset[str] | None = None,
                           filtered: bool = False, membership_rule: str | None = None) -> None:
        """The returned keys are the model's (required and maybe optional), each record agreeing.

        Args:
            rule: the rule of the query feature this collection judges.
            fields: the top-level fields asked for (``None``: all; empty: keys only).
            filtered: the query selects records (a filter, or one page of several), so a
                disagreement is first checked against the whole collection.
            membership_rule: the rule of which records are returned, when it is not ``rule``
                (a ``fields=`` query selects properties, not records).
        """
        membership = membership_rule or rule
        got = [_key(r) for r in records]
        filters = {k: v for k, v in (exchange.params or {}).items() if k in FILTER_FIELDS}
        foreign = [r for r in records if self.scope.foreign(_key(r)) and _key(r) not in expected.records]
        self._foreign_match(foreign, filters, exchange, rule)
        missing = expected.required - set(got)
        extra = set(got) - expected.required - expected.optional - {_key(r) for r in foreign}
        if missing or extra or len(got) != len(set(got)):
            shown = {_key(r): r for r in records if isinstance(r, dict)}
            rules = (self._membership_blame(membership, missing, extra, filtered, filters, shown)
                     if missing or extra else [membership])
            self.judge.apply([broken(exchange, rules, f"collection keys differ: missing {sorted(missing)}, "
                                     f"unexpected {sorted(map(str, extra))}"
                                     + (", duplicates" if len(got) != len(set(got)) else ""))])
        self.judge.apply(passed(exchange, membership))
        if fields == frozenset():
            return
        whole_state = not filtered and fields is None and self.writes_applied > 0
        for record in records:
            key = _key(record)
            versions = expected.records.get(key)
            if versions is None:
                continue
            if _asked_fields(exchange) is not None:
                self.judge.apply(checks.fields_returned(record, fields, exchange))
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

    def _foreign_match(self, foreign: list[Any], filters: dict[str, str], exchange: Exchange,
                       rule: str) -> None:
        """A foreign record's content is unknown, but one a filter returned must match it."""
        if not filters:
            return
        wrong = [_key(r) for r in foreign if self._matches(r, filters) is False]
        if wrong:
            self.judge.apply([broken(exchange, [rule], f"records that do not match {filters}: "
                                     f"{sorted(map(str, wrong))[:5]}", "only records matching the filters")])

    # ---- second witnesses ------------------------------------------------------------------------
    def _ask_the_collection(self, key: Key, verdicts: list[Verdict], blame: dict[str, str],
                            before: tuple[Credential, ...] | None) -> list[Verdict]:
        """An instance GET disagreed: does the collection show the same record?

        If the collection agrees with the model, the GET is wrong (CRED-GET-001). Else, on a
        read-back, a record still as it was before the PATCH was not changed at all; on a
        plain read, a collection showing the same difference means the state changed.
        """
        witness = self._witness_collection().get(key)
        versions = self.model.records.get(key) or ()
        [verdict] = failing(verdicts)
        record = verdict.exchange.response_json
        if witness is not None and _agrees(witness, versions):
            return [_reblame(verdict, [GET_RULE], "the record's GET disagrees with the model while the "
                             "collection agrees with it")]
        if before and _agrees(record, before):
            return [self._unchanged(key, verdict, blame)]
        if witness is not None and blame[ALL] == GET_RULE and _same(witness, record):
            return [_state_blame(verdict, GET_RULE, "the collection shows the same")]
        return verdicts

    def _ask_the_record(self, key: Key, record: Any, verdicts: list[Verdict], rule: str,
                        filtered: bool) -> list[Verdict]:
        """A collection's record disagreed: does the whole collection, then GET, agree?"""
        [verdict] = failing(verdicts)
        versions = self.model.records.get(key) or ()
        if filtered:
            whole = self._witness_collection().get(key)
            if whole is not None and _agrees(whole, versions):
                return verdicts  # the query feature is wrong, the collection is right
            rule = LIST_RULE
        exchange = self._peek(record_path(*key), {"fields": ALL}, key)
        if exchange.status == 200 and _agrees(exchange.response_json, versions):
            # After a collection write, the write did its job: the listing is what is wrong.
            return [_reblame(verdict, [LIST_RULE if rule == self._reading_back else rule],
                             "the collection disagrees with the model while the record's GET agrees")]
        if exchange.status == 200 and _same(exchange.response_json, record) and not self._reading_back:
            return [_state_blame(verdict, rule, "the record's GET shows the same")]
        return verdicts

    def _ask_for_all_fields(self, key: Key, verdicts: list[Verdict]) -> list[Verdict]:
        """A ``fields=`` subset disagreed: if the record with every field agrees, the selection
        of fields is what is wrong (CRED-GET-002)."""
        exchange = self._peek(record_path(*key), {"fields": ALL}, key)
        if exchange.status == 200 and _agrees(exchange.response_json, self.model.records.get(key) or ()):
            return [_reblame(failing(verdicts)[0], ["CRED-GET-002"], "with every field the record agrees",
                             moves_users=True)]
        return verdicts

    def _membership_blame(self, rule: str, missing: set[Key], extra: set[Key], filtered: bool,
                          filters: dict[str, str], shown: dict[Key, Any]) -> list[str]:
        """Whom a collection's missing or unexpected keys blame.

        For a query that selects (a filter, or pages), the whole collection is the second
        witness: a key it has, whose actual record matches the filter, was wrongly dropped
        (the query's rule); a key whose actual record does not match what the model holds
        shows a state that differs from the model (the default's starting state, or
        CRED-STATE-001) while the query worked.
        """
        whole = self._witness_collection() if filtered else {}
        blamed: list[str] = []
        for key in sorted(missing):
            actual = whole.get(key)
            if filtered and actual is not None:
                blamed.append(rule if self._matches(actual, filters) is not False else self._state_rule(key))
                continue
            exchange = self._peek(record_path(*key), None, key)
            if exchange.status == 200:
                blamed.append(LIST_RULE if filtered else rule)
            else:
                blamed.append(self._reading_back or (DEFAULT_RULE if key[1] == DEFAULT_INITIATOR else STATE_RULE))
        for key in sorted(extra):
            if key in self.model.records:
                actual = whole.get(key)
                matches = self._matches(actual, filters) if actual is not None else False
                blamed.append(self._state_rule(key) if matches else rule)
                continue
            if filtered and key not in whole:
                # A record only the query shows: the filter's fault if it does not even match
                # the filter; otherwise the collection listed a record that is not there.
                matches = key in shown and self._matches(shown[key], filters) is not False
                blamed.append(LIST_RULE if filters and matches else rule)
                continue
            exchange = self._peek(record_path(*key), None, key)
            # A record the GET says is not there: listed though gone (after a collection
            # write too: the listing, not the write, is wrong).
            blamed.append((self._reading_back or STATE_RULE) if exchange.status == 200
                          else (LIST_RULE if filtered or rule == self._reading_back else rule))
        return list(dict.fromkeys(blamed))

    def _matches(self, record: Any, filters: dict[str, str]) -> bool | None:
        """Whether a returned record (its actual state) passes the query's filters."""
        names = {s.uuid: s.name for s in self.model.svms.values()}
        return record_matches(credential_from_json(record, names), filters)

    def _state_rule(self, key: Key) -> str:
        """The rule a record whose state differs from the model breaks (right after a
        collection write: that write's rule)."""
        if self._reading_back:
            return self._reading_back
        return "CRED-DEF-002" if key in self.pristine else STATE_RULE

    def _witness_collection(self) -> dict[Key, Any]:
        """The whole collection, read once to settle a disagreement (its form is judged)."""
        exchange = self.send("GET", CREDENTIALS_PATH, params={"fields": ALL, "max_records": 10000})
        self._screen(exchange, secret_exercised=False)
        body = exchange.response_json if isinstance(exchange.response_json, dict) else {}
        records = body.get("records") if isinstance(body.get("records"), list) else []
        return {_key(r): r for r in records if isinstance(r, dict)}

    def _peek(self, path: str, params: dict[str, Any] | None, key: Key) -> Exchange:
        """A GET that only witnesses (secrets and envelope judged, nothing credited)."""
        exchange = self.send("GET", path, params=params)
        self._screen(exchange, secret_exercised=self._holds_secret(key))
        return exchange

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
        self.judge.apply(checks.record_matches_model(
            records[0], outcome.result, exchange, credit=("CRED-POST-005",), blame={ALL: "CRED-POST-005"},
            fields=frozenset(k for k in records[0] if k != "_links")))

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


Step = TypeVar("Step", bound=Callable[..., Any])


def unanswered_is_unjudged(step: Step) -> Step:
    """Wrap a state-machine rule: a request that never got a usable answer makes the step
    unjudged (and the program's further steps no-ops) instead of failing the program.

    Apply it under ``@rule`` so Hypothesis sees the wrapped function. The machine must hold
    its driver as ``self.driver``.
    """
    @functools.wraps(step)
    def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        if self.driver.lost:
            return None
        try:
            return step(self, *args, **kwargs)
        except NoAnswer as exc:
            self.driver.lose_track(exc, f"state machine step {step.__name__}")
            return None
    return guarded  # type: ignore[return-value]


def _visible(versions: tuple[Credential, ...] | None) -> list[str]:
    """What a read can show of a record's possible versions (passwords are write-only)."""
    return sorted(str(v.as_json()) for v in versions or ())


def _agrees(record: Any, versions: tuple[Credential, ...]) -> bool:
    return any(not differences(v, record) for v in versions)


def _same(first: Any, second: Any) -> bool:
    """Two readers show the same record (links aside)."""
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "_links"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value
    return strip(first) == strip(second)


def _reblame(verdict: Verdict, rules: list[str], why: str, *, moves_users: bool = False) -> Verdict:
    """Blame other rules for a disagreement a second witness explained.

    Users missing from a reader's record stay CRED-CHAP-009 whichever reader it was, unless
    the same reader shows them once asked for every field (``moves_users``).
    """
    if verdict.rules == (checks.USERS_RULE,) and not moves_users:
        return verdict
    return broken(verdict.exchange, rules, f"{verdict.message} ({why})", verdict.documented)


def _state_blame(verdict: Verdict, reader_rule: str, why: str) -> Verdict:
    """Both readers show the same difference: the state is wrong. The reader's own rule gives
    way to CRED-STATE-001 (a record changed with no write naming it); specific rules stay."""
    rules = [STATE_RULE if r == reader_rule else r for r in verdict.rules]
    if rules == list(verdict.rules):
        return verdict
    return broken(verdict.exchange, rules, f"{verdict.message} ({why}: the record changed though no "
                  "write of this run named it)", verdict.documented)


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
