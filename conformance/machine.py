"""The Hypothesis state machine: random create / get / list / patch / delete programs.

The machine drives the target and the model side by side through a :class:`Driver`;
every step is checked against the outcomes the model allows. Identities (initiator names)
live in a bundle so that names come back: creating a name twice, reading it on another
SVM and deleting it again all happen naturally. The class is built per target because its
strategies depend on the run's namespace.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Callable
from typing import Any

from hypothesis import note
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, precondition, rule

from conformance import budget, queries
from conformance import strategies as gen
from conformance.driver import ALL, Driver, model_for, unanswered_is_unjudged
from conformance.judge import Judge
from conformance.ledger import Ledger
from models.addresses import family_first
from models.query import FILTER_FIELDS
from models.records import DEFAULT_INITIATOR
from models.state import CredentialsModel

FIELD_CHOICES = [frozenset(f) for f in (("authentication_type",), ("chap",), ("initiator_address",),
                                        ("authentication_type", "chap"))]
LIST_KINDS = ("full", "keys", "fields", "filter", "operator", "order", "page", "count")
QUERY_SPECIALS = set('*|!<>{}",') | {".."}


def build_machine(target: Any, ledger: Ledger,
                  on_program: Callable[[], None] | None = None) -> type[RuleBasedStateMachine]:
    """Return a state-machine class bound to one target and one ledger.

    ``on_program`` is called as each program (Hypothesis example) starts: progress lines.
    """
    svms = tuple(target.svms)
    iscsi_svms = tuple(s for s in svms if s.iscsi)
    if not iscsi_svms:
        raise ValueError("the target has no SVM with the iSCSI service; nothing can be tested")
    namespace, eui_prefix = target.namespace, target.eui_prefix.lower()
    any_svm = st.sampled_from(svms)
    iscsi_svm = st.sampled_from(iscsi_svms)

    class CredentialsMachine(RuleBasedStateMachine):
        """Random programs over /api/protocols/san/iscsi/credentials, checked step by step."""

        names = Bundle("names")

        def __init__(self) -> None:
            super().__init__()
            budget.before_program(self, ledger)  # --time-budget: no new program once spent
            if on_program is not None:
                on_program()
            target.reset()
            self.client = target.client()
            self.model: CredentialsModel = model_for(target, self.client)
            judge = Judge(ledger, strict_observed=target.strict_observed)
            self.driver = Driver(self.client, self.model, judge, note=note,
                                 fresh_defaults=target.kind == "emulator", scope=target.scope())

        def teardown(self) -> None:
            try:
                if not self.driver.judge.broken and not self.driver.lost:  # the model lags the target
                    exchange, records = self.driver.list({"fields": ALL})
                    self.driver.compare_collection(records, self.model.list(), exchange, "CRED-LIST-002")
            finally:
                self.client.close()

        # ---- identities ---------------------------------------------------------------------
        @rule(target=names, name=gen.initiator_names(namespace, eui_prefix))
        def new_name(self, name: str) -> str:
            return name

        def own_keys(self) -> list[tuple[str, str]]:
            return sorted(k for k in self.model.records if k[1] != DEFAULT_INITIATOR
                          and target.may_modify(*k))

        def room(self) -> bool:
            return len(self.own_keys()) < target.max_objects

        # ---- create -------------------------------------------------------------------------
        @initialize(target=names, name=gen.initiator_names(namespace, eui_prefix), svm=iscsi_svm,
                    chap=gen.chap_bodies(), addresses=gen.initiator_addresses(both_lists=True, min_size=1))
        @unanswered_is_unjudged
        def seed_credentials(self, name: str, svm: Any, chap: dict[str, Any],
                             addresses: dict[str, Any]) -> str:
            """Start every program with one CHAP record that has addresses to change."""
            self.driver.create({"svm": {"uuid": svm.uuid}, "initiator": name, "authentication_type": "chap",
                                "chap": chap, "initiator_address": addresses})
            return name

        @precondition(lambda self: self.room())
        @rule(name=st.one_of(names, gen.initiator_names(namespace, eui_prefix)), svm=iscsi_svm,
              ref=st.sampled_from(["name", "uuid", "both"]), settings=gen.credential_settings(),
              return_records=st.booleans())
        @unanswered_is_unjudged
        def create_credentials(self, name: str, svm: Any, ref: str, settings: dict[str, Any],
                               return_records: bool) -> None:
            body = {"svm": _svm_ref(svm, ref), "initiator": name, **settings}
            self.driver.create(body, return_records=return_records)

        @precondition(lambda self: self.room())
        @rule(name=names, problem=st.sampled_from(["none", "empty", "unknown-uuid", "unknown-name",
                                                  "mismatch", "no-iscsi"]),
              svm=iscsi_svm)
        @unanswered_is_unjudged
        def create_with_svm_problem(self, name: str, problem: str, svm: Any) -> None:
            body: dict[str, Any] = {"initiator": name, "authentication_type": "none"}
            others = [s for s in svms if s.uuid != svm.uuid]
            if problem == "empty":
                body["svm"] = {}
            elif problem == "unknown-uuid":
                body["svm"] = {"uuid": str(uuidlib.uuid4())}
            elif problem == "unknown-name":
                body["svm"] = {"name": f"no-such-svm-{uuidlib.uuid4().hex[:8]}"}
            elif problem == "mismatch" and others:
                body["svm"] = {"uuid": svm.uuid, "name": others[0].name}
            elif problem == "no-iscsi":
                without = [s for s in svms if not s.iscsi]
                if not without:
                    return
                body["svm"] = {"name": without[0].name}
            self.driver.create(body)

        @rule(name=gen.invalid_initiator_names(namespace), svm=iscsi_svm)
        @unanswered_is_unjudged
        def create_with_invalid_name(self, name: str, svm: Any) -> None:
            self.driver.create({"svm": {"name": svm.name}, "initiator": name,
                                "authentication_type": "none"})

        @rule(svm=iscsi_svm, data=st.data())
        @unanswered_is_unjudged
        def create_malformed_credentials(self, svm: Any, data: st.DataObject) -> None:
            self.driver.create(data.draw(gen.malformed_create_bodies(svm.name, namespace), label="body"))

        @precondition(lambda self: bool(self.own_keys()))
        @rule(data=st.data())
        @unanswered_is_unjudged
        def create_duplicate_credentials(self, data: st.DataObject) -> None:
            svm_uuid, name = data.draw(st.sampled_from(self.own_keys()), label="existing")
            self.driver.create({"svm": {"uuid": svm_uuid}, "initiator": name,
                                "authentication_type": "deny"})

        # ---- read ---------------------------------------------------------------------------
        @rule(name=st.one_of(names, names, names, st.just(DEFAULT_INITIATOR)), svm=any_svm)
        @unanswered_is_unjudged
        def retrieve_credentials(self, name: str, svm: Any) -> None:
            self.driver.get((svm.uuid, name))

        @rule(name=names)
        @unanswered_is_unjudged
        def retrieve_through_unknown_svm(self, name: str) -> None:
            self.driver.get((str(uuidlib.uuid4()), name))

        @rule(kind=st.sampled_from(LIST_KINDS), data=st.data())
        @unanswered_is_unjudged
        def list_credentials(self, kind: str, data: st.DataObject) -> None:
            _list(self.driver, kind, data, namespace)

        # ---- update -------------------------------------------------------------------------
        @rule(name=st.one_of(names, names, names, st.just(DEFAULT_INITIATOR)), svm=iscsi_svm,
              change=gen.patch_bodies())
        @unanswered_is_unjudged
        def update_credentials(self, name: str, svm: Any, change: tuple[dict[str, Any], dict[str, str]]
                               ) -> None:
            if not self.may_write(svm.uuid, name):
                return
            body, params = change
            self.driver.update((svm.uuid, name), body, params)

        def may_write(self, svm_uuid: str, name: str) -> bool:
            if name == DEFAULT_INITIATOR:
                return target.default_changeable(svm_uuid)
            return target.may_modify(svm_uuid, name)

        @precondition(lambda self: any(self.model.records[k][0].ranges or self.model.records[k][0].masks
                                       for k in self.own_keys()))
        @rule(data=st.data())
        @unanswered_is_unjudged
        def remove_held_addresses(self, data: st.DataObject) -> None:
            keys = [k for k in self.own_keys()
                    if self.model.records[k][0].ranges or self.model.records[k][0].masks]
            key = data.draw(st.sampled_from(keys), label="record")
            record = self.model.records[key][0]
            ranges = data.draw(st.lists(st.sampled_from(sorted(record.ranges, key=family_first)), unique=True)
                               if record.ranges else st.just([]), label="ranges")
            masks = data.draw(st.lists(st.sampled_from(sorted(record.masks, key=family_first)), unique=True)
                              if record.masks else st.just([]), label="masks")
            body = {"initiator_address": {"ranges": [r.as_json() for r in ranges],
                                          "masks": [m.as_json() for m in masks]}}
            self.driver.update(key, body, {"remove_initiator_addresses": "true"})

        @precondition(lambda self: bool(self.own_keys()))
        @rule(data=st.data(), addresses=gen.initiator_addresses(both_lists=True))
        @unanswered_is_unjudged
        def replace_held_addresses(self, data: st.DataObject, addresses: dict[str, Any]) -> None:
            key = data.draw(st.sampled_from(self.own_keys()), label="record")
            self.driver.update(key, {"initiator_address": addresses})

        @rule(name=st.one_of(names, st.just(DEFAULT_INITIATOR)), svm=iscsi_svm,
              entries=gen.invalid_address_entries(), mode=st.sampled_from(["create", "replace", "add"]))
        @unanswered_is_unjudged
        def send_invalid_addresses(self, name: str, svm: Any, entries: dict[str, Any], mode: str) -> None:
            if mode == "create" and name != DEFAULT_INITIATOR:  # a live run never creates "default"
                self.driver.create({"svm": {"uuid": svm.uuid}, "initiator": name,
                                    "authentication_type": "none", "initiator_address": entries})
            elif self.may_write(svm.uuid, name):
                params = {"add_initiator_addresses": "true"} if mode == "add" else None
                self.driver.update((svm.uuid, name), {"initiator_address": entries}, params)

        @rule(svm=iscsi_svm, change=st.sampled_from(["none", "deny", "chap"]), chap=gen.chap_bodies())
        @unanswered_is_unjudged
        def update_default_authentication(self, svm: Any, change: str, chap: dict[str, Any]) -> None:
            if not target.default_changeable(svm.uuid):
                return
            body: dict[str, Any] = {"authentication_type": change}
            if change == "chap":
                body["chap"] = chap
            self.driver.update((svm.uuid, DEFAULT_INITIATOR), body)

        # ---- delete -------------------------------------------------------------------------
        @rule(name=st.one_of(names, names, names, st.just(DEFAULT_INITIATOR)), svm=any_svm)
        @unanswered_is_unjudged
        def delete_credentials(self, name: str, svm: Any) -> None:
            if self.may_write(svm.uuid, name):
                self.driver.delete((svm.uuid, name))

    return CredentialsMachine


def _svm_ref(svm: Any, ref: str) -> dict[str, str]:
    if ref == "name":
        return {"name": svm.name}
    if ref == "uuid":
        return {"uuid": svm.uuid}
    return {"name": svm.name, "uuid": svm.uuid}


def _plain(value: Any) -> bool:
    """A value a filter can carry literally (no query operator inside)."""
    return isinstance(value, str) and value != "" and value == value.strip() and not any(
        special in value for special in QUERY_SPECIALS)


def _list(driver: Driver, kind: str, data: st.DataObject, namespace: str) -> None:
    """One collection query of the given kind, checked against the model."""
    model = driver.model
    if kind == "full":
        queries.check_filtered(driver, {}, "CRED-LIST-002")
    elif kind == "keys":
        exchange, got = driver.list()
        driver.compare_collection(got, model.list(), exchange, "CRED-LIST-002", fields=frozenset())
    elif kind == "fields":
        queries.check_fields(driver, data.draw(st.sampled_from(FIELD_CHOICES), label="fields"))
    elif kind == "filter":
        field = data.draw(st.sampled_from(["initiator", "svm.name", "authentication_type",
                                           "chap.inbound.user"]), label="filter field")
        records = [versions[0] for versions in model.records.values()]
        values = sorted({v for v in (FILTER_FIELDS[field](r) for r in records) if _plain(v)})
        if values:
            value = data.draw(st.sampled_from(values), label="value")
            queries.check_filtered(driver, {field: value}, "CRED-LIST-003")
    elif kind == "operator":
        field, query = data.draw(st.sampled_from([
            ("initiator", f"{namespace}*"), ("initiator", "eui.*"), ("authentication_type", "!none"),
            ("authentication_type", "chap|deny"), ("initiator", f">{namespace}"),
            ("initiator", "default|" + namespace + "*")]), label="operator query")
        queries.check_filtered(driver, {field: query}, "CRED-LIST-004")
    elif kind == "order":
        queries.check_ordered(driver, data.draw(st.sampled_from(["asc", "desc"]), label="direction"))
    elif kind == "page":
        queries.check_paged(driver, data.draw(st.integers(1, 4), label="max_records"))
    else:
        queries.check_count(driver)
