"""The Hypothesis state machine: random create / get / list / patch / delete programs.

The machine drives the target and the model side by side through a :class:`Driver`;
every step is checked against the outcomes the model allows. It follows the idioms of
Hypothesis's own stateful docs:

- identities live in bundles: ``existing`` holds the keys of records the run created,
  ``deleted`` the keys it deleted (``consumes``), so deleted keys come back and are
  created again;
- the model and everything preconditions need live on the instance; rules that cannot act
  are switched off by ``@precondition``, never by returning early;
- the class is defined once; what depends on the target (its SVMs, the run's namespace)
  is drawn through ``st.runner()`` from the :class:`MachineRun` the factory passes in;
- Hypothesis enables a random subset of the rules in each program (swarm testing, built
  into ``RuleBasedStateMachine``), so some programs only create, some churn one record;
- no ``hypothesis.target`` score and no targeting phase: its hill climbing is not bounded by
  ``max_examples`` (``conformance/profiles.py``), and each score makes Hypothesis keep the
  scored program's choices (CHAP passwords included) in its example database;
- records pile up through a batch rule on the program's "home" SVM, and every program ends
  with an audit that reads its end state every way the collection can be read;
- valid requests dominate: invalid input comes from one rule among many, on at most one step
  in five (:meth:`CredentialsMachine.send_invalid_request`); the example tests own per-code
  coverage;
- every program starts with one initiator on two iSCSI SVMs, and every accepted write reads
  the same initiator's records on the other SVMs back (a write reaches only what it names).
"""

from __future__ import annotations

import functools
import uuid as uuidlib
from collections.abc import Callable
from typing import Any

from hypothesis import note
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    multiple,
    precondition,
    rule,
)

from conformance import budget
from conformance import strategies as gen
from conformance.exploration import Exploration
from conformance.judging import queries
from conformance.judging.driver import STATE_RULE, Driver, model_for
from conformance.judging.judge import Judge
from conformance.judging.ledger import Ledger
from conformance.wire.client import NoAnswer
from models.addresses import family_first
from models.outcomes import Outcome
from models.query import FILTER_FIELDS
from models.records import DEFAULT_INITIATOR

Key = tuple[str, str]
FIELD_CHOICES = [frozenset(f) for f in (("authentication_type",), ("chap",), ("initiator_address",),
                                        ("authentication_type", "chap"))]
LIST_KINDS = ("full", "keys", "fields", "filter", "operator", "order", "count")
ADDRESS_MODES = ("replace", "add", "remove")
CHANGE_KINDS = ("authentication", "any", *ADDRESS_MODES)
QUERY_SPECIALS = set('*|!<>{}",') | {".."}
#: The filters the machine draws: every filter of the page's table (CRED-LIST-003).
MACHINE_FILTERS = list(FILTER_FIELDS)
INVALID_SHARE = 5  # at most one step in five sends invalid input


class MachineRun:
    """What one run gives its machines: the target, the ledger, the exploration collector.

    It also holds the strategies that depend on the target, built once per run.
    """

    def __init__(self, target: Any, ledger: Ledger, exploration: Exploration,
                 on_program: Callable[[], None] | None = None, stream: int = 0) -> None:
        self.target = target
        self.stream = stream  # which of the run's state-machine streams (one per xdist worker)
        self.ledger = ledger
        self.exploration = exploration
        self.on_program = on_program
        self.svms = tuple(target.svms)
        self.iscsi_svms = tuple(s for s in self.svms if s.iscsi)
        if not self.iscsi_svms:
            raise ValueError("the target has no SVM with the iSCSI service; nothing can be tested")
        self.names = gen.initiator_names(target.namespace, target.eui_prefix.lower())
        self.invalid_names = gen.invalid_initiator_names(target.namespace)
        self.any_svm = st.sampled_from(self.svms)
        self.iscsi_svm = st.sampled_from(self.iscsi_svms)
        # Where batches of new records go: the program's "home" SVM, so that one SVM fills
        # up (limits that bite at the n-th record of an SVM).
        self.home_svm = st.shared(self.iscsi_svm, key="home svm")

    def program_started(self) -> None:
        self.exploration.program_started(self.stream)
        if self.on_program is not None:
            self.on_program()

    def other_iscsi_svm(self, svm_uuid: str, shift: int, taken: set[str] | frozenset[str] = frozenset()
                        ) -> Any:
        """An iSCSI SVM other than ``svm_uuid``, preferably not in ``taken`` (the ``shift``-th
        such after it, cyclically)."""
        uuids = [s.uuid for s in self.iscsi_svms]
        here = uuids.index(svm_uuid) if svm_uuid in uuids else 0
        others = [self.iscsi_svms[(here + i) % len(uuids)] for i in range(1, len(uuids))]
        others = [s for s in others if s.uuid not in taken] or others
        return others[(shift - 1) % len(others)]


def _of_run(attribute: str) -> st.SearchStrategy[Any]:
    """A strategy of the run the machine was built for (its namespace, its SVMs)."""
    return st.runner().flatmap(lambda machine: getattr(machine.run, attribute))


NAMES = _of_run("names")
# A new name or the name of a record the run holds (on another SVM that makes a twin).
NEW_OR_HELD_NAMES = st.one_of(NAMES, st.runner().flatmap(lambda machine: machine.held_names()))
INVALID_NAMES = _of_run("invalid_names")
ISCSI_SVMS = _of_run("iscsi_svm")
ANY_SVMS = _of_run("any_svm")
HOME_SVM = _of_run("home_svm")
REFS = st.sampled_from(["name", "uuid", "both"])
SHIFTS = st.integers(1, 3)


def step(function: Callable[..., Any] | None = None, *, keys: bool = False) -> Any:
    """Mark a rule as a step of the program (apply it under ``@rule``).

    After the step, the exploration report sees the run's records then alive (an
    ``@invariant`` would do the same but prints itself into every shrunk program). A request
    that never got a usable answer makes the step unjudged and the program's further steps
    no-ops, instead of failing the program (issue: transient faults are not verdicts); a rule
    with a target bundle (``keys=True``) then adds no key to it.
    """
    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def counted(machine: CredentialsMachine, *args: Any, **kwargs: Any) -> Any:
            nothing = multiple() if keys else None
            if machine.driver.lost:
                return nothing
            try:
                result = function(machine, *args, **kwargs)
            except NoAnswer as exc:
                machine.driver.lose_track(exc, f"state machine step {function.__name__}")
                return nothing
            machine.steps += 1
            machine.run.exploration.step(machine.own_keys())
            return result
        return counted
    return decorate(function) if function is not None else decorate


class CredentialsMachine(RuleBasedStateMachine):
    """Random programs over /api/protocols/san/iscsi/credentials, checked step by step."""

    existing = Bundle("existing")  # keys of records the run created and has not deleted
    deleted = Bundle("deleted")    # keys the run deleted

    def __init__(self, run: MachineRun) -> None:
        super().__init__()
        self.run = run
        budget.before_program(self, run.ledger)  # --time-budget: no new program once spent
        run.program_started()
        run.target.reset()
        self.client = run.target.client()
        self.model = model_for(run.target, self.client)
        self.steps = 0
        self.invalid_requests = 0
        self.driver = Driver(self.client, self.model, Judge(run.ledger, strict_observed=run.target.strict_observed),
                             note=note, fresh_defaults=run.target.kind == "emulator", scope=run.target.scope(),
                             observer=run.exploration.observe)

    def teardown(self) -> None:
        try:
            if not self.driver.judge.broken and not self.driver.lost:  # the model lags the target
                try:
                    self.audit_collection()
                except NoAnswer as exc:
                    self.driver.lose_track(exc, "state machine audit at the end of a program")
        finally:
            self.client.close()
            self.run.exploration.program_finished()

    def audit_collection(self) -> None:
        """The program's end state read every way the collection can be read: whole and
        sorted, per SVM, in pages (next links followed), counted. Bugs that need many
        records show here, where a program holds the most."""
        queries.check_ordered(self.driver, "asc")  # every record, in order (CRED-LIST-002, -007)
        for svm in self.run.iscsi_svms:
            queries.check_filtered(self.driver, {"svm.name": svm.name}, "CRED-LIST-003")
        queries.check_paged(self.driver, max(1, len(self.model.list().required) // 3))
        queries.check_count(self.driver)

    # ---- what preconditions see ------------------------------------------------------------
    def own_keys(self) -> list[Key]:
        """Keys of the records this run may change (not the defaults, not foreign records)."""
        return sorted(k for k in self.model.records if k[1] != DEFAULT_INITIATOR
                      and self.run.target.may_modify(*k))

    def held_names(self) -> st.SearchStrategy[str]:
        names = sorted({k[1] for k in self.own_keys()})
        return st.sampled_from(names) if names else self.run.names

    def room(self) -> bool:
        """Room for one more record: by the model's count and by the live-safety guard's, which
        counts the creates the target answered 201 (the two have been seen to differ on a live
        target; a create the guard would refuse is never attempted)."""
        return len(self.own_keys()) < self.run.target.max_objects and self.run.target.room_for_create()

    def room_for_a_twin(self) -> bool:
        return len(self.run.iscsi_svms) > 1 and self.room()

    def changeable_defaults(self) -> list[Any]:
        return [s for s in self.run.iscsi_svms if self.run.target.default_changeable(s.uuid)]

    # ---- create -----------------------------------------------------------------------------
    @initialize(target=existing, name=NAMES, svm=ISCSI_SVMS, chap=gen.chap_bodies(),
                addresses=gen.initiator_addresses(both_lists=True, min_size=1),
                twin=gen.valid_credential_settings())
    @step(keys=True)
    def seed_credentials(self, name: str, svm: Any, chap: dict[str, Any], addresses: dict[str, Any],
                         twin: dict[str, Any]) -> Any:
        """Start every program with one CHAP record that has addresses to change, and the
        same initiator on a second iSCSI SVM (when there is one): from the first step on,
        every write is also a chance to reach another SVM's record."""
        first = self._create({"svm": {"uuid": svm.uuid}, "initiator": name, "authentication_type": "chap",
                              "chap": chap, "initiator_address": addresses})
        if len(self.run.iscsi_svms) < 2:
            return first
        other = self.run.other_iscsi_svm(svm.uuid, 1)
        second = self._create({"svm": {"uuid": other.uuid}, "initiator": name, **twin})
        return multiple(*[k for k in (first, second) if isinstance(k, tuple)])

    @precondition(lambda self: self.room())
    @rule(target=existing, name=NEW_OR_HELD_NAMES, svm=ISCSI_SVMS, ref=REFS,
          settings=gen.valid_credential_settings(), return_records=st.booleans())
    @step(keys=True)
    def create_credentials(self, name: str, svm: Any, ref: str, settings: dict[str, Any],
                           return_records: bool) -> Any:
        """A new record: a new initiator, or one the run holds on another SVM (a name already
        taken on this SVM becomes a free variant of it)."""
        name = gen.free_variant(name, {k[1] for k in self.model.records if k[0] == svm.uuid})
        return self._create({"svm": _svm_ref(svm, ref), "initiator": name, **settings},
                            return_records=return_records)

    @precondition(lambda self: self.room())
    @rule(target=existing, svm=HOME_SVM, names=st.lists(NAMES, min_size=2, max_size=10),
          settings=gen.valid_credential_settings())
    @step(keys=True)
    def create_several_credentials(self, svm: Any, names: list[str], settings: dict[str, Any]) -> Any:
        """A batch of new initiators on the program's home SVM, as a host group is provisioned
        (up to the run's cap on records alive): records pile up on one SVM."""
        keys = []
        for name in names:
            if not self.room():
                break
            name = gen.free_variant(name, {k[1] for k in self.model.records if k[0] == svm.uuid})
            keys += [key for key in [_created_key(self.driver.create(
                {"svm": {"uuid": svm.uuid}, "initiator": name, **settings}))] if key is not None]
        return multiple(*keys)

    @precondition(lambda self: self.room_for_a_twin())
    @rule(target=existing, key=existing, shift=SHIFTS, settings=gen.valid_credential_settings())
    @step(keys=True)
    def create_on_another_svm(self, key: Key, shift: int, settings: dict[str, Any]) -> Any:
        """The same initiator on another SVM (one that lacks it, if any: else a duplicate)."""
        svm = self.run.other_iscsi_svm(key[0], shift, {k[0] for k in self.model.records if k[1] == key[1]})
        return self._create({"svm": {"uuid": svm.uuid}, "initiator": key[1], **settings})

    @precondition(lambda self: self.room())
    @rule(target=existing, key=consumes(deleted), settings=gen.valid_credential_settings())
    @step(keys=True)
    def recreate_credentials(self, key: Key, settings: dict[str, Any]) -> Any:
        """A deleted key created again: nothing of the old record may come back."""
        return self._create({"svm": {"uuid": key[0]}, "initiator": key[1], **settings})

    @rule(target=existing, key=consumes(existing), settings=gen.valid_credential_settings())
    @step(keys=True)
    def replace_credentials(self, key: Key, settings: dict[str, Any]) -> Any:
        """DELETE a record and POST it again with other settings, as an admin replaces one:
        the new record must not remember the old."""
        if not _accepted(self.driver.delete(key)):
            return multiple()
        return self._create({"svm": {"uuid": key[0]}, "initiator": key[1], **settings})

    def _create(self, body: dict[str, Any], *, return_records: bool = False) -> Any:
        outcome = self.driver.create(body, return_records=return_records)
        key = _created_key(outcome)
        return key if key is not None else multiple()

    # ---- read -------------------------------------------------------------------------------
    @rule(key=existing, svm=st.one_of(st.none(), ANY_SVMS))
    @step
    def retrieve_credentials(self, key: Key, svm: Any) -> None:
        """A record (``svm`` None), or its initiator through some SVM: a twin's, or one that
        lacks it (404)."""
        self.driver.get(key if svm is None else (svm.uuid, key[1]))

    @rule(svm=ISCSI_SVMS)
    @step
    def retrieve_default_credentials(self, svm: Any) -> None:
        """An SVM's ``default`` credential (on a live target, as far as the run may know it)."""
        self.driver.get((svm.uuid, DEFAULT_INITIATOR))

    @rule(key=deleted)
    @step
    def retrieve_deleted_credentials(self, key: Key) -> None:
        """A deleted record stays gone (or is there again, if it was created again)."""
        self.driver.get(key)

    @rule(kind=st.sampled_from(LIST_KINDS), data=st.data())
    @step
    def list_credentials(self, kind: str, data: st.DataObject) -> None:
        _list(self.driver, kind, data, self.run.target)

    @rule(parts=st.integers(3, 4))
    @step
    def list_credentials_in_pages(self, parts: int) -> None:
        """The collection page by page (next links followed as given), in about ``parts``
        pages: page sizes fit the collection, so a big one is never read in one go."""
        held = len(self.model.list().required)
        queries.check_paged(self.driver, max(1, held // parts))

    # ---- update -----------------------------------------------------------------------------
    @rule(key=existing, change=gen.valid_patch_bodies())
    @step
    def update_credentials(self, key: Key, change: tuple[dict[str, Any], dict[str, str]]) -> None:
        """Any accepted change: type, CHAP and addresses, alone or together."""
        body, params = change
        self._update(key, body, params)

    @rule(key=existing, body=gen.authentication_changes())
    @step
    def change_authentication_type(self, key: Key, body: dict[str, Any]) -> None:
        self._update(key, body)

    @rule(key=existing, mode=st.sampled_from(ADDRESS_MODES), data=st.data())
    @step
    def change_addresses(self, key: Key, mode: str, data: st.DataObject) -> None:
        """The address list in one of its three PATCH modes: replace it, add to it, or remove
        some of the addresses it holds (at least one, unless it holds none)."""
        self._change(key, mode, data)

    @rule(key=existing, kinds=st.lists(st.sampled_from(CHANGE_KINDS), min_size=2, max_size=6),
          data=st.data())
    @step
    def change_one_record_repeatedly(self, key: Key, kinds: list[str], data: st.DataObject) -> None:
        """A history of one record: several accepted PATCHes in a row (bugs of the n-th
        change of a record, or of a change that undoes an earlier one)."""
        for kind in kinds:
            self._change(key, kind, data)

    def _change(self, key: Key, kind: str, data: st.DataObject) -> None:
        """One accepted PATCH of the given kind (see CHANGE_KINDS)."""
        if kind == "authentication":
            self._update(key, data.draw(gen.authentication_changes(), label="change"))
        elif kind == "any":
            self._update(key, *data.draw(gen.valid_patch_bodies(), label="change"))
        elif kind == "replace":
            addresses = data.draw(gen.initiator_addresses(both_lists=True), label="addresses")
            self._update(key, {"initiator_address": addresses})
        elif kind == "add":
            addresses = data.draw(gen.initiator_addresses(min_size=1), label="addresses")
            self._update(key, {"initiator_address": addresses}, {"add_initiator_addresses": "true"})
        else:
            self._update(key, {"initiator_address": _held_part(self.model.records[key][0], data)},
                         {"remove_initiator_addresses": "true"})

    @precondition(lambda self: bool(self.changeable_defaults()))
    @rule(data=st.data(), change=st.sampled_from(["none", "deny", "chap"]), chap=gen.chap_bodies())
    @step
    def update_default_credentials(self, data: st.DataObject, change: str, chap: dict[str, Any]) -> None:
        svm = data.draw(st.sampled_from(self.changeable_defaults()), label="svm")
        body: dict[str, Any] = {"authentication_type": change}
        if change == "chap":
            body["chap"] = chap
        self._update((svm.uuid, DEFAULT_INITIATOR), body)

    def _update(self, key: Key, body: Any, params: dict[str, str] | None = None) -> None:
        if _accepted(self.driver.update(key, body, params)):
            self._other_svms_unchanged(key)

    # ---- delete -----------------------------------------------------------------------------
    @rule(target=deleted, key=consumes(existing))
    @step(keys=True)
    def delete_credentials(self, key: Key) -> Any:
        if not _accepted(self.driver.delete(key)):
            return multiple()
        self._other_svms_unchanged(key)
        return key

    def _other_svms_unchanged(self, key: Key) -> None:
        """A write reaches only the record it names (CRED-STATE-001): the initiator's records
        on the other SVMs read back as the model holds them. A twin that differs is checked
        against the collection like any read, so a GET defect is not blamed on the write."""
        for twin in sorted(k for k in self.model.records if k[1] == key[1] and k != key):
            self.driver.get(twin, credit=(STATE_RULE,))

    # ---- invalid input (rare: one rule among many) ----------------------------------------
    def invalid_kinds(self) -> list[str]:
        """The invalid requests this state allows. Those that POST need room for one more
        record: the live-safety guard refuses any create past ``--max-objects`` before it is
        sent, a refused one included."""
        room = self.room()
        kinds = ["name", "svm", "malformed", "settings"] if room else []
        kinds += ["addresses", "missing"] if room or self.own_keys() else ["missing"]
        if self.own_keys():
            kinds += ["patch", "duplicate"] if room else ["patch"]
        if self.changeable_defaults():
            kinds += ["delete-default", "default-addresses"]
        return kinds

    @precondition(lambda self: self.invalid_requests * INVALID_SHARE <= self.steps)
    @rule(data=st.data())
    @step
    def send_invalid_request(self, data: st.DataObject) -> None:
        """One request that breaks a documented rule, in the middle of a program (at most one
        step in INVALID_SHARE, even in a program that enables few other rules)."""
        self.invalid_requests += 1
        kind = data.draw(st.sampled_from(self.invalid_kinds()), label="invalid")
        INVALID[kind](self, data)


# ---- invalid requests, one helper each -----------------------------------------------------------
def _invalid_name(machine: CredentialsMachine, data: st.DataObject) -> None:
    svm = data.draw(ISCSI_SVMS, label="svm")
    machine.driver.create({"svm": {"name": svm.name}, "initiator": data.draw(INVALID_NAMES, label="name"),
                           "authentication_type": "none"})


def _svm_problem(machine: CredentialsMachine, data: st.DataObject) -> None:
    run = machine.run
    svm = data.draw(ISCSI_SVMS, label="svm")
    problems = ["none", "empty", "unknown-uuid", "unknown-name"]
    problems += ["mismatch"] if len(run.svms) > 1 else []
    problems += ["no-iscsi"] if len(run.iscsi_svms) < len(run.svms) else []
    problem = data.draw(st.sampled_from(problems), label="problem")
    body: dict[str, Any] = {"initiator": data.draw(NAMES, label="name"), "authentication_type": "none"}
    if problem == "empty":
        body["svm"] = {}
    elif problem == "unknown-uuid":
        body["svm"] = {"uuid": str(uuidlib.uuid4())}
    elif problem == "unknown-name":
        body["svm"] = {"name": f"no-such-svm-{uuidlib.uuid4().hex[:8]}"}
    elif problem == "mismatch":
        body["svm"] = {"uuid": svm.uuid, "name": next(s.name for s in run.svms if s.uuid != svm.uuid)}
    elif problem == "no-iscsi":
        body["svm"] = {"name": next(s.name for s in run.svms if not s.iscsi)}
    machine.driver.create(body)


def _malformed(machine: CredentialsMachine, data: st.DataObject) -> None:
    svm = data.draw(ISCSI_SVMS, label="svm")
    machine.driver.create(data.draw(gen.malformed_create_bodies(svm.name, machine.run.target.namespace),
                                    label="body"))


def _invalid_settings(machine: CredentialsMachine, data: st.DataObject) -> None:
    svm = data.draw(ISCSI_SVMS, label="svm")
    machine.driver.create({"svm": {"uuid": svm.uuid}, "initiator": data.draw(NAMES, label="name"),
                           **data.draw(gen.invalid_credential_settings(), label="settings")})


def _invalid_addresses(machine: CredentialsMachine, data: st.DataObject) -> None:
    entries = data.draw(gen.invalid_address_entries(), label="addresses")
    keys = machine.own_keys()
    modes = (["create"] if machine.room() else []) + (["replace", "add"] if keys else [])
    mode = data.draw(st.sampled_from(modes), label="mode")
    if mode == "create":
        svm = data.draw(ISCSI_SVMS, label="svm")
        machine.driver.create({"svm": {"uuid": svm.uuid}, "initiator": data.draw(NAMES, label="name"),
                               "authentication_type": "none", "initiator_address": entries})
        return
    key = data.draw(st.sampled_from(keys), label="record")
    params = {"add_initiator_addresses": "true"} if mode == "add" else None
    machine.driver.update(key, {"initiator_address": entries}, params)


def _missing(machine: CredentialsMachine, data: st.DataObject) -> None:
    """PATCH, DELETE or GET of a record that is not there (an unknown SVM included)."""
    name = data.draw(NAMES, label="name")
    unknown = data.draw(st.booleans(), label="unknown svm")
    svm_uuid = str(uuidlib.uuid4()) if unknown else data.draw(ISCSI_SVMS, label="svm").uuid
    key = (svm_uuid, gen.free_variant(name, {k[1] for k in machine.model.records if k[0] == svm_uuid}))
    operation = data.draw(st.sampled_from(["get", "patch", "delete"]), label="operation")
    if operation == "get":
        machine.driver.get(key)
    elif operation == "patch":
        machine.driver.update(key, {"authentication_type": "deny"})
    else:
        machine.driver.delete(key)


def _invalid_patch(machine: CredentialsMachine, data: st.DataObject) -> None:
    key = data.draw(st.sampled_from(machine.own_keys()), label="record")
    body, params = data.draw(gen.invalid_patch_bodies(), label="change")
    machine.driver.update(key, body, params)


def _duplicate(machine: CredentialsMachine, data: st.DataObject) -> None:
    svm_uuid, name = data.draw(st.sampled_from(machine.own_keys()), label="existing")
    machine.driver.create({"svm": {"uuid": svm_uuid}, "initiator": name, "authentication_type": "deny"})


def _delete_default(machine: CredentialsMachine, data: st.DataObject) -> None:
    svm = data.draw(st.sampled_from(machine.changeable_defaults()), label="svm")
    machine.driver.delete((svm.uuid, DEFAULT_INITIATOR))


def _default_addresses(machine: CredentialsMachine, data: st.DataObject) -> None:
    svm = data.draw(st.sampled_from(machine.changeable_defaults()), label="svm")
    entries = data.draw(gen.initiator_addresses(min_size=1), label="addresses")
    machine.driver.update((svm.uuid, DEFAULT_INITIATOR), {"initiator_address": entries})


INVALID: dict[str, Callable[[CredentialsMachine, st.DataObject], None]] = {
    "name": _invalid_name, "svm": _svm_problem, "malformed": _malformed, "settings": _invalid_settings,
    "addresses": _invalid_addresses, "missing": _missing, "patch": _invalid_patch,
    "duplicate": _duplicate, "delete-default": _delete_default, "default-addresses": _default_addresses,
}


# ---- helpers --------------------------------------------------------------------------------------
def _held_part(record: Any, data: st.DataObject) -> dict[str, Any]:
    """Some of the ranges and masks a record holds (at least one when it holds any)."""
    ranges = data.draw(st.lists(st.sampled_from(sorted(record.ranges, key=family_first)), unique=True)
                       if record.ranges else st.just([]), label="ranges")
    masks = data.draw(st.lists(st.sampled_from(sorted(record.masks, key=family_first)), unique=True,
                               min_size=0 if ranges else 1)
                      if record.masks else st.just([]), label="masks")
    return {"ranges": [r.as_json() for r in ranges], "masks": [m.as_json() for m in masks]}


def _accepted(outcome: Outcome | None) -> bool:
    return outcome is not None and outcome.success


def _created_key(outcome: Outcome | None) -> Key | None:
    if not _accepted(outcome) or outcome is None or not outcome.result:
        return None
    return outcome.result[0].key


def _svm_ref(svm: Any, ref: str) -> dict[str, str]:
    if ref == "name":
        return {"name": svm.name}
    if ref == "uuid":
        return {"uuid": svm.uuid}
    return {"name": svm.name, "uuid": svm.uuid}


def _values(value: Any) -> list[Any]:
    """A field's values in one record: an address list holds several, a scalar one."""
    return value if isinstance(value, list) else [value]


def _plain(value: Any) -> bool:
    """A value a filter can carry literally (no query operator inside)."""
    return isinstance(value, str) and value != "" and value == value.strip() and not any(
        special in value for special in QUERY_SPECIALS)


def operator_queries(target: Any, scoped: bool) -> list[tuple[str, str]]:
    """The operator queries the machine draws from (CRED-LIST-004).

    On a live target (``scoped``) each must select within the run's scope, so its cost
    follows the run's records: ``eui.*`` becomes the run's EUI prefix and ``>namespace``
    (every later name on the cluster) a comparison on the type, which the scope narrows.
    """
    namespace = target.namespace
    queries_ = [("initiator", f"{namespace}*"), ("initiator", "eui.*"), ("authentication_type", "!none"),
                ("authentication_type", "chap|deny"), ("initiator", f">{namespace}"),
                ("initiator", "default|" + namespace + "*")]
    if scoped:
        queries_[1] = ("initiator", f"eui.{target.eui_prefix.lower()}*")
        queries_[4] = ("authentication_type", ">deny")
    return queries_


def _list(driver: Driver, kind: str, data: st.DataObject, target: Any) -> None:
    """One collection query of the given kind, checked against the model."""
    model = driver.model
    if kind == "full":
        queries.check_filtered(driver, {}, "CRED-LIST-002")
    elif kind == "keys":
        exchange, got = queries.read_all(driver, {})
        driver.compare_collection(got, model.list(), exchange, "CRED-LIST-002", fields=frozenset())
    elif kind == "fields":
        queries.check_fields(driver, data.draw(st.sampled_from(FIELD_CHOICES), label="fields"))
    elif kind == "filter":
        field = data.draw(st.sampled_from(MACHINE_FILTERS), label="filter field")
        records = [versions[0] for versions in model.records.values()]
        values = sorted({v for r in records for v in _values(FILTER_FIELDS[field](r)) if _plain(v)})
        if values:
            value = data.draw(st.sampled_from(values), label="value")
            queries.check_filtered(driver, {field: value}, "CRED-LIST-003")
        else:  # nothing to filter on (no CHAP user, say): the whole collection instead
            queries.check_filtered(driver, {}, "CRED-LIST-002")
    elif kind == "operator":
        field, query = data.draw(st.sampled_from(operator_queries(target, bool(driver.scope.own_filter))),
                                 label="operator query")
        queries.check_filtered(driver, {field: query}, "CRED-LIST-004")
    elif kind == "order":
        queries.check_ordered(driver, data.draw(st.sampled_from(["asc", "desc"]), label="direction"))
    else:
        queries.check_count(driver)
