"""Invalid requests in the middle of a program: one request that breaks a documented rule.

Valid requests dominate a program: invalid input comes from one rule among many, on at most
one step in :data:`INVALID_SHARE`, and each kind has a helper of its own (a name, an SVM, a
malformed body, settings, addresses, a missing record, a PATCH, a duplicate, the default's
delete or addresses). The example tests own per-code coverage.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from conformance.programs import strategies as gen
from conformance.programs.machine_run import INVALID_NAMES, ISCSI_SVMS, NAMES, step
from models.records import DEFAULT_INITIATOR

INVALID_SHARE = 5  # at most one step in five sends invalid input


class InvalidRequests:
    """Mixed into the state machine: the rule that sends one invalid request."""

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


def _invalid_name(machine: Any, data: st.DataObject) -> None:
    svm = data.draw(ISCSI_SVMS, label="svm")
    machine.driver.create({"svm": {"name": svm.name}, "initiator": data.draw(INVALID_NAMES, label="name"),
                           "authentication_type": "none"})


def _svm_problem(machine: Any, data: st.DataObject) -> None:
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


def _malformed(machine: Any, data: st.DataObject) -> None:
    svm = data.draw(ISCSI_SVMS, label="svm")
    machine.driver.create(data.draw(gen.malformed_create_bodies(svm.name, machine.run.target.namespace),
                                    label="body"))


def _invalid_settings(machine: Any, data: st.DataObject) -> None:
    svm = data.draw(ISCSI_SVMS, label="svm")
    machine.driver.create({"svm": {"uuid": svm.uuid}, "initiator": data.draw(NAMES, label="name"),
                           **data.draw(gen.invalid_credential_settings(), label="settings")})


def _invalid_addresses(machine: Any, data: st.DataObject) -> None:
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


def _missing(machine: Any, data: st.DataObject) -> None:
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


def _invalid_patch(machine: Any, data: st.DataObject) -> None:
    key = data.draw(st.sampled_from(machine.own_keys()), label="record")
    body, params = data.draw(gen.invalid_patch_bodies(), label="change")
    machine.driver.update(key, body, params)


def _duplicate(machine: Any, data: st.DataObject) -> None:
    svm_uuid, name = data.draw(st.sampled_from(machine.own_keys()), label="existing")
    machine.driver.create({"svm": {"uuid": svm_uuid}, "initiator": name, "authentication_type": "deny"})


def _delete_default(machine: Any, data: st.DataObject) -> None:
    svm = data.draw(st.sampled_from(machine.changeable_defaults()), label="svm")
    machine.driver.delete((svm.uuid, DEFAULT_INITIATOR))


def _default_addresses(machine: Any, data: st.DataObject) -> None:
    svm = data.draw(st.sampled_from(machine.changeable_defaults()), label="svm")
    entries = data.draw(gen.initiator_addresses(min_size=1), label="addresses")
    machine.driver.update((svm.uuid, DEFAULT_INITIATOR), {"initiator_address": entries})


INVALID: dict[str, Callable[[Any, st.DataObject], None]] = {
    "name": _invalid_name, "svm": _svm_problem, "malformed": _malformed, "settings": _invalid_settings,
    "addresses": _invalid_addresses, "missing": _missing, "patch": _invalid_patch,
    "duplicate": _duplicate, "delete-default": _delete_default, "default-addresses": _default_addresses,
}
