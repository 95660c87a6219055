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
  ``max_examples`` (``conformance/face/profiles.py``), and each score makes Hypothesis keep the
  scored program's choices (CHAP passwords included) in its example database;
- records pile up through a batch rule on the program's "home" SVM, and every program ends
  with an audit that reads its end state every way the collection can be read;
- valid requests dominate: invalid input comes from one rule among many, on at most one step
  in five (:mod:`conformance.programs.invalid_requests`); the example tests own per-code
  coverage;
- every program starts with one initiator on two iSCSI SVMs, and every accepted write reads
  the same initiator's records on the other SVMs back (a write reaches only what it names).
"""

from __future__ import annotations

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

from conformance.judging import queries
from conformance.judging.driver import STATE_RULE, Driver, model_for
from conformance.judging.judge import Judge
from conformance.programs import budget
from conformance.programs import strategies as gen
from conformance.programs.collection_queries import LIST_KINDS, list_query
from conformance.programs.invalid_requests import InvalidRequests
from conformance.programs.machine_run import (
    ANY_SVMS,
    HOME_SVM,
    ISCSI_SVMS,
    NAMES,
    NEW_OR_HELD_NAMES,
    REFS,
    SHIFTS,
    MachineRun,
    step,
)
from conformance.wire.client import NoAnswer
from models.addresses import family_first
from models.outcomes import Outcome
from models.records import DEFAULT_INITIATOR

Key = tuple[str, str]
ADDRESS_MODES = ("replace", "add", "remove")
CHANGE_KINDS = ("authentication", "any", *ADDRESS_MODES)


class CredentialsMachine(InvalidRequests, RuleBasedStateMachine):
    """Random programs over /api/protocols/san/iscsi/credentials, checked step by step.

    One class holds every rule that shares the ``existing`` and ``deleted`` bundles: each
    rule feeds or reads the others' keys, and Hypothesis draws a program's steps from the
    rules of one machine. The invalid requests, which use no bundle, are a mixin of their own
    (:class:`~conformance.programs.invalid_requests.InvalidRequests`).
    """

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
        list_query(self.driver, kind, data, self.run.target)

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


# ---- invalid requests, one helper each -----------------------------------------------------------


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
