"""One API call at a time: ask the model, send the request, judge the answer, commit.

Shared by the state machine and the example-based tests so that both judge responses the
same way. After every write the driver reads the record back, so a change that was not
applied (or applied wrongly) is blamed on the rule of the write, not on a later GET.

When a read disagrees with the model, a second reader decides whom to blame, as two
witnesses would: the instance GET and the collection see the same state, so if the other
one agrees with the model the first reader is wrong (CRED-GET-001, or the collection's
rule), and if it shows the same difference the state is wrong (the write just made, or,
with no write to explain it, CRED-STATE-001).

The driver is one object with several parts, each in a module of its own: the writes of one
record (:mod:`~conformance.judging.record_writes`), the collection
(:mod:`~conformance.judging.collection`), the second witnesses
(:mod:`~conformance.judging.witnesses`, :mod:`~conformance.judging.membership`) and the
writes whose answer was lost (:mod:`~conformance.judging.undecided`). This module holds what
they share: sending, judging one answer, and reading one record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from conformance.judging import checks
from conformance.judging.collection import CollectionCalls
from conformance.judging.judge import Judge
from conformance.judging.membership import MembershipWitnesses
from conformance.judging.readings import ALL, credential_from_json, record_key
from conformance.judging.record_writes import RecordWrites
from conformance.judging.scope import EVERYTHING, Scope
from conformance.judging.step_hook import attach, recorded
from conformance.judging.undecided import UndecidedWrites
from conformance.judging.verdicts import Verdict, broken, failing, passed
from conformance.judging.witnesses import (
    DEFAULT_RULE,
    GET_RULE,
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
from models.outcomes import CODE_OWNERS, Expectation, Outcome
from models.records import DEFAULT_INITIATOR, Credential, Svm
from models.state import CredentialsModel

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


class Driver(RecordWrites, CollectionCalls, SecondWitnesses, MembershipWitnesses, UndecidedWrites):
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

    def observed(self, operation: str, key: Key | None, outcome: Outcome | None,
                 **details: Any) -> Outcome | None:
        """Tell the observer (if any) what a judged call did; returns ``outcome``."""
        if self.observer is not None:
            self.observer(operation, key, outcome, **details)
        return outcome

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

    # ---- what the model knows of a record ---------------------------------------------------
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


def _alternatives(expectation: Expectation, outcome: Outcome | None) -> frozenset[str]:
    """The codes of the rules a refusal stands for that the model allowed for this request:
    an allowed refusal identifying a rule meets that rule's code requirement whichever of the
    allowed codes it chose (a correct target may always pick one side of a choice)."""
    if outcome is None or outcome.success or not outcome.rules:
        return frozenset()
    return frozenset(code for o in expectation.outcomes if not o.success and o.rules == outcome.rules
                     for code in o.codes or () if CODE_OWNERS.get(code) in outcome.rules)


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
