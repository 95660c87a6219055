"""The reference model: the state of a target and one operation per API call.

Each operation returns an :class:`~models.outcomes.Expectation` (every allowed answer, with
the model state each one leads to) and changes nothing; the caller commits the outcome the
target chose with :meth:`CredentialsModel.commit`. A record's value is a tuple of possible
versions, because the doc sometimes allows two results; a GET narrows it with
:meth:`CredentialsModel.observe`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from models.bodies import (
    CLEAR_OUTBOUND_SINCE,
    apply_addresses,
    chap_violations,
    clears_outbound,
    read_addresses,
    read_chap,
)
from models.names import initiator_violations
from models.outcomes import (
    CLIENT_ERRORS,
    Expectation,
    Outcome,
    Violation,
    allowance,
    expectation_from,
    refusals,
    violation,
)
from models.query import FILTER_FIELDS, record_matches
from models.records import AUTH_TYPES, DEFAULT_INITIATOR, Credential, Svm, differences
from models.releases import BASE_RELEASE, Release
from models.rules import OBSERVED, RULES

Key = tuple[str, str]
Versions = tuple[Credential, ...]

POST_FIELDS = {"svm", "initiator", "authentication_type", "chap", "initiator_address", "_links"}
PATCH_FIELDS = {"authentication_type", "chap", "initiator_address", "_links"}
OBSERVED_RULES = frozenset(r.id for r in RULES if r.basis == OBSERVED)
NOT_FOUND = frozenset({404})
#: The first release where svm cannot be given in a PATCH body (OB-67), and whose
#: generic error table gives 400 for an unknown SVM (OB-68).
SVM_FIXED_SINCE: Release = (9, 15, 1)
UNKNOWN_SVM_STATUSES = frozenset({400, 404})


@dataclass(frozen=True)
class ListExpectation:
    """What a collection GET may hold: keys it must and keys it may contain."""

    required: frozenset[Key]
    optional: frozenset[Key]
    records: Mapping[Key, Versions]

    def within(self, filters: Mapping[str, str]) -> ListExpectation:
        """The same expectation for a read that also carried ``filters`` (a live run's scope):
        a key stays required only if every version certainly matches them."""
        required, optional = set(), set()
        for key in self.required | self.optional:
            verdicts = {record_matches(v, dict(filters)) for v in self.records.get(key, ())}
            if verdicts == {True} and key in self.required:
                required.add(key)
            elif verdicts != {False}:
                optional.add(key)
        return ListExpectation(frozenset(required), frozenset(optional), self.records)


class CredentialsModel:
    """The documented behaviour of one target's credentials, as a pure in-memory model."""

    def __init__(self, svms: Iterable[Svm], records: Iterable[Credential] = (), *,
                 release: Release = BASE_RELEASE) -> None:
        self.svms: dict[str, Svm] = {svm.uuid: svm for svm in svms}
        self.release = release
        #: whether the target stores initiator names case-folded: the doc does not say (OQ-5;
        #: ONTAP lowercases igroup initiators, OB-44), so the first name with upper-case letters
        #: the target creates decides (:meth:`fold`); None until then
        self.folds_case: bool | None = None
        self.records: dict[Key, Versions] = {}
        for record in records:
            self.records[record.key] = (record,)

    @classmethod
    def fresh(cls, svms: Iterable[Svm], *, release: Release = BASE_RELEASE
              ) -> CredentialsModel:
        """A target just after its iSCSI services were created (CRED-DEF-001, CRED-DEF-002)."""
        svms = list(svms)
        defaults = [Credential(s.uuid, s.name, DEFAULT_INITIATOR) for s in svms if s.iscsi]
        return cls(svms, defaults, release=release)

    # ---- queries of the model ------------------------------------------------------------
    def versions(self, svm_uuid: str, initiator: str) -> Versions | None:
        """The possible versions of a record, or None when the model holds no such record."""
        return self.records.get((svm_uuid, initiator))

    def keys(self) -> set[Key]:
        """Every record key the model holds."""
        return set(self.records)

    def svm_by_name(self, name: str) -> Svm | None:
        """The SVM with this name, if any."""
        return next((s for s in self.svms.values() if s.name == name), None)

    # ---- operations ------------------------------------------------------------------------
    def create(self, body: Any) -> Expectation:
        """POST /protocols/san/iscsi/credentials with this JSON body."""
        if not isinstance(body, dict):
            return _refused("post", [violation("CRED-BODY-001", detail="body is no object")])
        found: list[Violation] = []
        unknown = set(body) - POST_FIELDS
        if unknown:
            found.append(violation("CRED-BODY-001", detail=f"unknown fields {sorted(unknown)}"))
        svm, svm_found = self._resolve_svm(body.get("svm"))
        found += svm_found
        initiator = body.get("initiator")
        if initiator is None:
            found.append(violation("CRED-POST-003", detail="initiator is required"))
        else:
            found += initiator_violations(initiator)
        auth_type, auth_found = _read_auth_type(body, required=True)
        found += auth_found
        chap, chap_found = read_chap(body.get("chap"))
        found += chap_found
        chap_results: list[dict[str, Any]] = [{}]
        if auth_type is not None:
            more, chap_results = chap_violations(auth_type, chap, None, True)
            found += more
        lists: dict[str, frozenset[Any]] = {}
        if body.get("initiator_address") is not None:
            lists, more = read_addresses(body["initiator_address"])
            found += more
        if svm is not None and isinstance(initiator, str):
            twin = self.resolve(svm.uuid, initiator, any_case=True)
            if (svm.uuid, initiator) in self.records or (twin in self.records and self.folds_case):
                found.append(violation("CRED-POST-004", "5374142", detail="the initiator already has credentials"))
            elif twin in self.records and self.folds_case is None:
                found.append(violation("CRED-POST-004", "5374142", certain=False,
                                       detail="a name that differs only in case has credentials (OQ-5)"))
        if svm is None or not isinstance(initiator, str) or auth_type is None:
            return _refused("post", found)
        if self.folds_case:
            initiator = initiator.lower()
        record = Credential(svm.uuid, svm.name, initiator, auth_type,
                            ranges=lists.get("ranges", frozenset()), masks=lists.get("masks", frozenset()))
        versions = tuple(replace(record, **chap_fields) for chap_fields in chap_results)
        # The first rule is the one a refusal of this valid request is blamed on.
        rules: tuple[str, ...] = ("CRED-POST-001", "CRED-INIT-008",
                                  *_address_rules(body.get("initiator_address")))
        if _mixed_case(body.get("authentication_type")):
            rules = ("CRED-AUTH-001", *rules)
        success = self._success({201}, rules, {record.key: versions}, versions)
        return expectation_from("post", found, success, observed_rules=OBSERVED_RULES)

    def resolve(self, svm_uuid: str, initiator: str, *, any_case: bool = False) -> Key:
        """The key of the record a path names: itself, or, on a target that folds case (or,
        with ``any_case``, on any target), a record whose name differs only in case."""
        key = (svm_uuid, initiator)
        if key in self.records or not (any_case or self.folds_case):
            return key
        folded = initiator.casefold()
        return next((k for k in self.records if k[0] == svm_uuid and k[1].casefold() == folded), key)

    def fold(self, key: Key, stored: str) -> Key:
        """The target stored a created name case-folded (``stored``): from now on it folds."""
        self.folds_case = True
        versions = self.records.pop(key)
        self.records[(key[0], stored)] = tuple(replace(v, initiator=stored) for v in versions)
        return (key[0], stored)

    def get(self, svm_uuid: str, initiator: str) -> Expectation:
        """GET /protocols/san/iscsi/credentials/{svm.uuid}/{initiator}."""
        svm_uuid, initiator = self.resolve(svm_uuid, initiator)
        versions = self.records.get((svm_uuid, initiator))
        if versions is not None:
            rules = ("CRED-DEF-001", "CRED-GET-001") if initiator == DEFAULT_INITIATOR else ("CRED-GET-001",)
            return Expectation("get", (Outcome(frozenset({200}), frozenset(), rules, True,
                                               result=versions),))
        return Expectation("get", self._missing(svm_uuid, initiator, "get"))

    def absent(self, svm_uuid: str, initiator: str) -> Expectation:
        """GET of a record that must not exist (after a DELETE, or a refused create)."""
        return Expectation("get", self._missing(svm_uuid, initiator, "get"))

    def update(self, svm_uuid: str, initiator: str, body: Any,
               params: Mapping[str, Any] | None = None) -> Expectation:
        """PATCH /protocols/san/iscsi/credentials/{svm.uuid}/{initiator} (with its query flags)."""
        params = params or {}
        svm_uuid, initiator = self.resolve(svm_uuid, initiator)
        current = self.records.get((svm_uuid, initiator))
        if current is None:
            return Expectation("patch", self._missing(svm_uuid, initiator, "patch"))
        if not isinstance(body, dict):
            return _refused("patch", [violation("CRED-BODY-001", detail="body is no object")])
        per_version = [self._update_version(version, body, params) for version in current]
        found = _merge_violations([f for f, _ in per_version])
        # Not dict.fromkeys: a refused body may leave unhashable values (lists) in a version.
        unique: list[Credential] = []
        for version in (v for _, versions in per_version for v in versions):
            if version not in unique:
                unique.append(version)
        results = tuple(unique)
        rules = _update_rules(current[0], body, params, self.release)
        if not results:
            return _refused("patch", found)
        success = self._success({200}, rules, {(svm_uuid, initiator): results}, results)
        return expectation_from("patch", found, success, observed_rules=OBSERVED_RULES)

    def delete(self, svm_uuid: str, initiator: str) -> Expectation:
        """DELETE /protocols/san/iscsi/credentials/{svm.uuid}/{initiator}."""
        key = svm_uuid, initiator = self.resolve(svm_uuid, initiator)
        if key not in self.records:
            return Expectation("delete", self._missing(svm_uuid, initiator, "delete"))
        if initiator == DEFAULT_INITIATOR:
            return _refused("delete", [violation("CRED-DEF-004", "5374148",
                                                 detail="the default credential cannot be deleted")])
        records = {k: v for k, v in self.records.items() if k != key}
        success = Outcome(frozenset({200}), frozenset(), ("CRED-DEL-001",), True, records)
        return Expectation("delete", (success,))

    def matching(self, filters: Mapping[str, str]) -> tuple[list[Key], list[Key]]:
        """Keys every version of which matches ``filters``, and keys that only may match."""
        certain, maybe = [], []
        for key, versions in self.records.items():
            verdicts = {record_matches(v, dict(filters)) for v in versions}
            if verdicts == {True}:
                certain.append(key)
            elif verdicts != {False}:
                maybe.append(key)
        return certain, maybe

    def update_collection(self, filters: Mapping[str, str], body: Any,
                          params: Mapping[str, Any] | None = None) -> Expectation:
        """PATCH /protocols/san/iscsi/credentials?<query>: the change, on every matching record.

        At least one field filter is required (OB-41). When any matching record would
        refuse the change, or whether a record matches is not certain, the model cannot say
        which records a target changes before it stops: only refusals are predicted then.
        """
        certain, maybe = self.matching(filters)
        if not filters:
            return _refused("patch", [violation("CRED-PATCH-003", detail="a collection PATCH needs a query")])
        expectations = [self.update(*key, body, params) for key in certain]
        refusals = [o for e in expectations for o in e.outcomes if not o.success]
        if maybe or any(e.must_fail for e in expectations):
            found = [v for e in expectations for v in e.violations]
            return _refused("patch", found or [allowance("uncertain match", "OB-46")]) if not refusals \
                else Expectation("patch", tuple(refusals), tuple(found))
        records = dict(self.records)
        for key, expectation in zip(certain, expectations, strict=True):
            records[key] = expectation.success.records[key]  # type: ignore[union-attr]
        success = Outcome(frozenset({200}), frozenset(), ("CRED-PATCH-003",), True, records,
                          tuple(v for key in certain for v in records[key]))
        return Expectation("patch", (success, *refusals))

    def delete_collection(self, filters: Mapping[str, str]) -> Expectation:
        """DELETE /protocols/san/iscsi/credentials?<query>: every matching record goes.

        A ``default`` among the matches cannot be deleted (CRED-DEF-004); the model then
        predicts only refusals, as it cannot say what a target deleted before it stopped.
        """
        certain, maybe = self.matching(filters)
        if not filters:
            return _refused("delete", [violation("CRED-DEL-002", detail="a collection DELETE needs a query")])
        if maybe or any(k[1] == DEFAULT_INITIATOR for k in certain):
            return _refused("delete", [violation("CRED-DEF-004", "5374148", certain=False,
                                                 detail="a default credential matches the query")])
        records = {k: v for k, v in self.records.items() if k not in certain}
        return Expectation("delete", (Outcome(frozenset({200}), frozenset(), ("CRED-DEL-002",), True, records),))

    def list(self, filters: Mapping[str, str] | None = None) -> ListExpectation:
        """GET /protocols/san/iscsi/credentials with equality/operator filters on known fields."""
        filters = dict(filters or {})
        unknown = set(filters) - set(FILTER_FIELDS)
        if unknown:
            raise ValueError(f"the model cannot filter on {sorted(unknown)}; known: {sorted(FILTER_FIELDS)}")
        required, optional = set(), set()
        for key, versions in self.records.items():
            verdicts = {record_matches(v, filters) for v in versions}
            if verdicts == {True}:
                required.add(key)
            elif verdicts != {False}:
                optional.add(key)
        return ListExpectation(frozenset(required), frozenset(optional), dict(self.records))

    # ---- committing what the target did -----------------------------------------------------
    def commit(self, outcome: Outcome) -> None:
        """Adopt the state an observed outcome leads to (no change for refusals)."""
        if outcome.success and outcome.records is not None:
            self.records = dict(outcome.records)

    def observe(self, record: dict[str, Any]) -> bool:
        """Narrow a record's versions to those agreeing with a full GET; False if none agrees."""
        svm = record.get("svm") if isinstance(record, dict) else None
        key = (svm.get("uuid") if isinstance(svm, dict) else None, record.get("initiator"))
        versions = self.records.get(key)  # type: ignore[arg-type]
        if versions is None:
            return False
        agreeing = tuple(v for v in versions if not differences(v, record))
        if agreeing:
            self.records[key] = agreeing  # type: ignore[index]
        return bool(agreeing)

    # ---- helpers ---------------------------------------------------------------------------
    def _success(self, statuses: set[int], rules: tuple[str, ...], changes: dict[Key, Versions],
                 result: Versions) -> Outcome:
        records = {**self.records, **changes}
        return Outcome(frozenset(statuses), frozenset(), rules, True, records, result)

    def _resolve_svm(self, svm: Any) -> tuple[Svm | None, list[Violation]]:
        if svm is None or svm == {}:
            return None, [violation("CRED-SVM-003", "2621707", detail="no svm.name or svm.uuid")]
        if not isinstance(svm, dict) or not ({"name", "uuid"} & set(svm)):
            return None, [violation("CRED-BODY-001", detail="svm must be an object with name or uuid"),
                          violation("CRED-SVM-003", "2621707", detail="no svm.name or svm.uuid")]
        if any(not isinstance(svm[k], str) for k in ("name", "uuid") if k in svm):
            return None, [violation("CRED-BODY-001", detail="svm.name and svm.uuid must be strings")]
        by_uuid = self.svms.get(svm["uuid"]) if "uuid" in svm else None
        by_name = self.svm_by_name(svm["name"]) if "name" in svm else None
        if "uuid" in svm and by_uuid is None:
            found = [violation("CRED-SVM-001", "2621462", detail="no SVM has this UUID",
                               statuses=self._unknown_svm_statuses())]
            if "name" in svm:
                found.append(violation("CRED-SVM-002", "2621706", detail="name and uuid disagree"))
            return None, found
        if "name" in svm and by_name is None:
            codes = ("2621462", "2621706") if "uuid" in svm else ()
            return None, [violation("CRED-SVM-001", *codes, detail="no SVM has this name")]
        if by_uuid is not None and by_name is not None and by_uuid != by_name:
            return None, [violation("CRED-SVM-002", "2621706", detail="name and uuid name different SVMs")]
        resolved = by_uuid or by_name
        assert resolved is not None
        if not resolved.iscsi:
            return resolved, [violation("CRED-SVM-004", "5374078", detail="the SVM has no iSCSI service")]
        return resolved, []

    def _missing(self, svm_uuid: str, initiator: str, operation: str) -> tuple[Outcome, ...]:
        """Outcomes for a record the SVM does not hold (CRED-MISS-001/002, CRED-SVM-001/005).

        GET has no endpoint codes: a missing record is the generic 404 code "4" (the doc's
        example error), or the endpoint's own 5374895 with some 4xx (OQ-2). PATCH
        and DELETE document 5374895 for a credential the SVM does not have. When the SVM
        itself is unknown, the generic not-found and invalid-key codes (OB-15, OB-16) and, on
        writes, 2621462 are allowed too. A key that exists on another SVM makes the request
        exercise CRED-SVM-005 (the record is not reached through a foreign SVM), and then
        that rule is the one judged.
        """
        rules: tuple[str, ...] = ("CRED-MISS-002",) if operation == "get" else ("CRED-MISS-001",)
        if any(k[1] == initiator and k[0] != svm_uuid for k in self.records):
            rules = ("CRED-SVM-005", *rules)
        if operation == "get":
            outcomes = [Outcome(NOT_FOUND, frozenset({"4"}), rules, False, detail="entry doesn't exist"),
                        Outcome(CLIENT_ERRORS, frozenset({"5374895"}), rules, False,
                                detail="the SVM has no such credential (OQ-2)")]
        else:
            # The tables give 5374895; the page's own example error of its Update and Delete
            # sections is 404 "4" "entry doesn't exist" (OB-15): either identifies the rule.
            outcomes = [Outcome(CLIENT_ERRORS, frozenset({"5374895"}), rules, False,
                                detail="the SVM has no such credential"),
                        Outcome(NOT_FOUND, frozenset({"4", "5374895"}), rules, False,
                                detail="entry doesn't exist (the page's example error)")]
        if svm_uuid not in self.svms:
            outcomes.append(Outcome(CLIENT_ERRORS, frozenset({"2", "4"}),
                                    ("CRED-SVM-001",) if operation != "get" else rules, False,
                                    detail="no SVM has this UUID (a generic code)"))
            if operation != "get":
                outcomes.append(Outcome(self._unknown_svm_statuses(), frozenset({"2621462"}),
                                        ("CRED-SVM-001",), False, detail="no SVM has this UUID"))
        return tuple(outcomes)

    def _unknown_svm_statuses(self) -> frozenset[int]:
        """2621462's HTTP status: any 4xx (no doc gives one) until 9.15.1's generic table says
        400; 404 stays allowed as a later copy of that table dropped the row (OB-68)."""
        return UNKNOWN_SVM_STATUSES if self.release >= SVM_FIXED_SINCE else CLIENT_ERRORS

    def _update_version(self, record: Credential, body: dict[str, Any],
                        params: Mapping[str, Any]) -> tuple[list[Violation], list[Credential]]:
        found: list[Violation] = []
        unknown = set(body) - PATCH_FIELDS
        if "svm" in unknown and self.release >= SVM_FIXED_SINCE:
            found.append(violation("CRED-PATCH-002", detail="svm cannot be specified in a PATCH (9.15.1+)"))
            unknown -= {"svm"}
        if unknown & {"svm", "initiator"}:
            found.append(violation("CRED-BODY-001", certain=False,
                                   detail="svm and initiator are not patchable (OB-40)"))
            unknown -= {"svm", "initiator"}
        if unknown:
            found.append(violation("CRED-BODY-001", detail=f"unknown fields {sorted(unknown)}"))
        auth_type, auth_found = _read_auth_type(body, required=False)
        found += auth_found
        if auth_found and auth_type is None:
            return found, []
        new_type = auth_type or record.authentication_type
        chap, chap_found = read_chap(body.get("chap"))
        found += chap_found
        more, chap_results = chap_violations(new_type, chap, record, "authentication_type" in body,
                                             self.release)
        found += more
        versions = [replace(record, authentication_type=new_type, **fields) for fields in chap_results]
        if body.get("initiator_address") is not None:
            address_found, versions = self._patch_addresses(record, body["initiator_address"], params,
                                                            versions)
            found += address_found
        return found, versions

    def _patch_addresses(self, record: Credential, addresses: Any, params: Mapping[str, Any],
                         versions: list[Credential]) -> tuple[list[Violation], list[Credential]]:
        lists, found = read_addresses(addresses)
        if record.is_default:
            empty = not any(lists.values())
            found.append(violation("CRED-DEF-005", "5374155", certain=not empty,
                                   detail="the default credential takes no address list"))
        add, remove = flag(params, "add_initiator_addresses"), flag(params, "remove_initiator_addresses")
        if add and remove:
            found.append(allowance("both add_ and remove_initiator_addresses are true",
                                   "doc: Update iSCSI credentials, query flags (silent on both)"))
        mode = "add" if add else "remove" if remove else "replace"
        results: list[Credential] = []
        for version in versions:
            more, applied = apply_addresses(version, lists, mode)
            found += more
            results += applied
        return found, results


def flag(params: Mapping[str, Any], name: str) -> bool:
    """A boolean query flag as ONTAP reads it (``true``/``True``, OB-53)."""
    value = params.get(name)
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _read_auth_type(body: dict[str, Any], *, required: bool) -> tuple[str | None, list[Violation]]:
    value = body.get("authentication_type")
    if value is None:
        if required:
            return None, [violation("CRED-POST-003", detail="authentication_type is required")]
        return None, []
    if not isinstance(value, str):
        return None, [violation("CRED-BODY-001", detail="authentication_type must be a string")]
    if value.lower() not in AUTH_TYPES:
        return None, [violation("CRED-AUTH-003", detail=f"{value!r} is not chap, none or deny")]
    return value.lower(), []


def _update_rules(record: Credential, body: dict[str, Any], params: Mapping[str, Any],
                  release: Release) -> tuple[str, ...]:
    """The rules an accepted PATCH exercises, the most specific first (a refusal of the
    valid request is blamed on the first)."""
    rules = []
    chap, _ = read_chap(body.get("chap"))
    if release >= CLEAR_OUTBOUND_SINCE and clears_outbound(chap):
        rules.append("CRED-CHAP-010")
    if _mixed_case(body.get("authentication_type")):
        rules.append("CRED-AUTH-001")  # a refusal of the spelling is the likelier cause
    if record.is_default and "authentication_type" in body:
        rules.append("CRED-DEF-003")
    if body.get("initiator_address") is not None:
        if flag(params, "add_initiator_addresses"):
            rules.append("CRED-ADDR-008")
        elif flag(params, "remove_initiator_addresses"):
            rules.append("CRED-ADDR-009")
        else:
            rules.append("CRED-ADDR-007")
        rules += _address_rules(body["initiator_address"])
    rules.append("CRED-PATCH-001")
    return tuple(rules)


def _address_rules(addresses: Any) -> tuple[str, ...]:
    """Netmask rules an accepted address list exercises: an IPv6 mask without a netmask
    (its default, CRED-ADDR-004) and an IPv4 mask given dotted (returned as a length,
    CRED-ADDR-003)."""
    masks = addresses.get("masks") if isinstance(addresses, dict) else None
    rules = set()
    for mask in masks if isinstance(masks, list) else ():
        if not isinstance(mask, dict):
            continue
        netmask = mask.get("netmask")
        if netmask is None and ":" in str(mask.get("address")):
            rules.add("CRED-ADDR-004")
        if isinstance(netmask, str) and "." in netmask:
            rules.add("CRED-ADDR-003")
    return tuple(r for r in ("CRED-ADDR-004", "CRED-ADDR-003") if r in rules)


def _mixed_case(value: Any) -> bool:
    """An authentication_type spelled other than in lowercase: it exercises CRED-AUTH-001."""
    return isinstance(value, str) and value != value.lower()


def _merge_violations(per_version: list[list[Violation]]) -> list[Violation]:
    """Union of the violations over all versions; certain only if certain in every version."""
    merged: dict[tuple[Any, ...], Violation] = {}
    counts: dict[tuple[Any, ...], int] = {}
    for found in per_version:
        for v in {(v.rule, v.codes, v.detail, v.statuses, v.source): v for v in found}.values():
            key = (v.rule, v.codes, v.detail, v.statuses, v.source)
            old = merged.get(key)
            merged[key] = v if old is None else replace(old, certain=old.certain and v.certain)
            counts[key] = counts.get(key, 0) + 1
    return [v if counts[k] == len(per_version) else replace(v, certain=False) for k, v in merged.items()]


def _refused(operation: str, found: list[Violation]) -> Expectation:
    """An expectation where accepting is not possible (e.g. the SVM could not be resolved)."""
    if not found:
        found = [violation("CRED-BODY-001", detail="request cannot be applied")]
    return Expectation(operation, refusals(found), tuple(found))
