"""In-memory cluster state and the behaviour of each credentials operation. No HTTP here.

One re-entrant lock guards everything, and every change is built on a copy and swapped in
(a stored record is never changed in place), so a concurrent reader sees a record either
before or after a change, never half of it, and a reader may keep references to stored
records without copying them: a listing of 20,000 records copies none.
"""

from __future__ import annotations

import copy
import threading
import uuid as uuidlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from emulator import errors
from emulator.defects import Defects
from emulator.errors import OntapError
from emulator.releases import DEFAULT as DEFAULT_RELEASE
from emulator.releases import Release
from emulator.store import CredentialStore
from emulator.validation import (
    Mask,
    Range,
    check_initiator,
    check_keys,
    check_password,
    check_user,
    opt_str,
    parse_addresses,
    parse_auth_type,
    same_secret,
)

DEFAULT = "default"


@dataclass(frozen=True)
class SvmSeed:
    name: str
    uuid: str
    iscsi: bool


def default_seed() -> list[SvmSeed]:
    """svm1 and svm2 with the iSCSI service, svm3 without; UUIDs derived from the names."""
    return [SvmSeed(n, seed_uuid(n), n != "svm3") for n in ("svm1", "svm2", "svm3")]


def seed_uuid(name: str) -> str:
    return str(uuidlib.uuid5(uuidlib.NAMESPACE_DNS, f"{name}.svm.ontap-emulator.invalid"))


@dataclass
class Svm:
    uuid: str
    name: str
    iscsi: bool


@dataclass
class Chap:
    user: str | None = None
    password: str | None = None


@dataclass
class Credential:
    svm_uuid: str
    initiator: str
    auth_type: str
    inbound: Chap | None = None
    outbound: Chap | None = None
    ranges: list[Range] = field(default_factory=list)
    masks: list[Mask] = field(default_factory=list)
    # What the stale-instance-get defect returns: the type the record was created with.
    created_auth_type: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        self.created_auth_type = self.created_auth_type or self.auth_type


class Narrowing(Protocol):
    """Which SVMs and initiators a collection query can select (emulator/narrow.py): a
    superset of its matches, found without rendering a record."""

    def keeps_svm(self, svm: Svm) -> bool: ...

    def initiators(self, names: list[str]) -> Iterable[str]: ...


class Backend:
    """SVMs, iSCSI services and credentials, with the rules of the 9.10.1 document and the
    documented changes of ``release`` (emulator/releases.py)."""

    def __init__(self, seed: list[SvmSeed], defects: Defects,
                 release: Release | None = None, preload: Sequence[Credential] = ()) -> None:
        self.seed = list(seed)
        self.defects = defects
        self.release = release or Release(DEFAULT_RELEASE)
        # Other hosts' records (--preload), part of the starting state: reset restores them.
        # Stored records are never changed in place (a write stores a new one), so reset can
        # share these objects.
        self.preload = tuple(preload)
        self.preload_addresses = sum(len(c.ranges) + len(c.masks) for c in self.preload)
        self._preloaded = CredentialStore.of(self.preload)  # sorted once, copied by reset
        self.lock = threading.RLock()
        self.svms: dict[str, Svm] = {}
        self.creds = CredentialStore()
        self.reset()

    def reset(self) -> None:
        """Back to the seed: SVMs, services, default credentials and preloaded records."""
        with self.lock:
            self.svms = {s.uuid: Svm(s.uuid, s.name, s.iscsi) for s in self.seed}
            self.creds = self._preloaded.copy()
            # What the sequence-only defects remember (stays empty without them).
            self.graveyard: dict[tuple[str, str], Credential] = {}  # recreate-restores-addresses
            self.lingering: dict[tuple[str, str], Credential] = {}  # deleted-still-listed
            self.stale: dict[tuple[str, str], Credential] = {}  # list-cache-ignores-patch
            self.patches: dict[tuple[str, str], int] = {}  # third-patch-not-applied
            self.removed: dict[tuple[str, str], tuple[list[Range], list[Mask]]] = {}
            self.defaults_set: set[str] = set()  # default-denied-when-busy: SVMs whose default was PATCHed
            for svm in self.svms.values():
                if svm.iscsi:
                    self._add_default(svm.uuid)
                    if "default-only-first-svm" in self.defects:  # breaks CRED-DEF-001
                        break

    def _add_default(self, svm_uuid: str) -> None:
        kind = "deny" if "default-starts-deny" in self.defects else "none"
        self.creds[(svm_uuid, DEFAULT)] = Credential(svm_uuid, DEFAULT, kind)

    # --- reads --------------------------------------------------------------------------
    def snapshot(self) -> tuple[list[Svm], list[Credential]]:
        """Copies of the SVMs, and the credentials held (stored records: never changed)."""
        with self.lock:
            return copy.deepcopy(list(self.svms.values())), list(self.creds.values())

    def listing(self, *, with_records: bool = True, narrowing: Narrowing | None = None
                ) -> tuple[list[Svm], list[Credential]]:
        """What a collection GET shows, in the collection's default order (SVM name, then
        initiator; SVM names are unique), as the sequence-only defects distort it (a deleted
        credential lingers in the first GET that returns records, not in a count).

        ``narrowing`` leaves out SVMs and initiators the query cannot select, before any
        record is touched; it is not applied while a deleted record lingers."""
        with self.lock:
            lingering = list(self.lingering.values()) if with_records else []
            if with_records:
                self.lingering = {}  # deleted-still-listed: shown by one collection read only
            svms, creds = self._in_order(None if lingering else narrowing, self.stale)
        if lingering:
            names_of = {s.uuid: s.name for s in svms}
            creds = sorted(creds + lingering, key=lambda c: (names_of[c.svm_uuid], c.initiator))
        return svms, creds

    def ordered(self, narrowing: Narrowing | None = None
                ) -> tuple[list[Svm], list[Credential]]:
        """The credentials held, in the collection's default order, as stored (no defect
        distorts them): what a query-based PATCH or DELETE acts on."""
        with self.lock:
            return self._in_order(narrowing, {})

    def _in_order(self, narrowing: Narrowing | None,
                  stale: dict[tuple[str, str], Credential]) -> tuple[list[Svm], list[Credential]]:
        svms = sorted(copy.deepcopy(list(self.svms.values())), key=lambda s: s.name)
        held = self.creds
        creds: list[Credential] = []
        for svm in svms:
            if narrowing is not None and not narrowing.keeps_svm(svm):
                continue
            names = held.initiators(svm.uuid)
            chosen = names if narrowing is None else narrowing.initiators(names)
            if stale:  # list-cache-ignores-patch: the record as it was before a PATCH
                creds += [stale.get((svm.uuid, n)) or held[(svm.uuid, n)] for n in chosen]
            else:
                creds += held.records_of(svm.uuid, chosen)
        return svms, creds

    def svm(self, svm_uuid: str) -> Svm | None:
        with self.lock:
            found = self.svms.get(svm_uuid)
            return copy.deepcopy(found) if found else None

    def get(self, svm_uuid: str, initiator: str) -> Credential | None:
        with self.lock:
            found = self._lookup(svm_uuid, initiator)
            found = copy.deepcopy(found) if found else None
            if found is not None and "stale-instance-get" in self.defects:
                found.auth_type = found.created_auth_type  # breaks CRED-GET-001
            return found

    def _lookup(self, svm_uuid: str, initiator: str) -> Credential | None:
        found = self.creds.get((svm_uuid, initiator))
        if found is None and "cross-svm-lookup" in self.defects:
            found = next((c for c in self.creds.values() if c.initiator == initiator), None)
        return found

    # --- services -----------------------------------------------------------------------
    def create_service(self, body: Any) -> Svm:
        check_keys(body, {"svm", "enabled", "target", "_links"}, "")
        with self.lock:
            svm = self._resolve_svm(body.get("svm"))
            if svm.iscsi:
                raise OntapError(409, "1", f'The iSCSI service already exists on SVM '
                                 f'"{svm.name}".', "svm")
            svm.iscsi = True
            self._add_default(svm.uuid)
            return copy.deepcopy(svm)

    def delete_service(self, svm_uuid: str) -> None:
        with self.lock:
            svm = self.svms.get(svm_uuid)
            if svm is None or not svm.iscsi:
                raise errors.entry_missing("svm.uuid")
            svm.iscsi = False
            for initiator in list(self.creds.initiators(svm_uuid)):
                del self.creds[(svm_uuid, initiator)]

    # --- SVM references -----------------------------------------------------------------
    def _unknown_svm(self, target: str, value: str) -> OntapError:
        if "unknown-svm-wrong-code" in self.defects:
            return errors.entry_missing(target)
        return OntapError(self.release.unknown_svm_status, "2621462",  # 400 from 9.15.1
                          f'An SVM with the specified {target.split(".")[-1]} '
                          f'"{errors.show(value)}" does not exist.', target)

    def _first_iscsi_svm(self) -> Svm | None:
        """What no-svm-first-svm creates on when a POST names no SVM."""
        if "no-svm-first-svm" not in self.defects:
            return None
        return next((s for s in self.svms.values() if s.iscsi), None)

    def _resolve_svm(self, ref: Any, *, post: bool = False) -> Svm:
        """CRED-SVM-001..003: svm.uuid and/or svm.name name one existing SVM."""
        first = self._first_iscsi_svm() if post else None
        if ref is None and first is not None:
            return first
        if ref is None:
            raise OntapError(400, "2621707", "No SVM was specified. Either svm.name or "
                             "svm.uuid must be supplied.", "svm")
        check_keys(ref, {"uuid", "name", "_links"}, "svm")
        uuid, name = opt_str(ref, "uuid", "svm.uuid"), opt_str(ref, "name", "svm.name")
        if uuid is None and name is None and first is not None:
            return first
        if uuid is None and name is None:
            raise OntapError(400, "2621707", "No SVM was specified. Either svm.name or "
                             "svm.uuid must be supplied.", "svm")
        by_uuid = self.svms.get(uuid) if uuid is not None else None
        if uuid is not None and by_uuid is None:
            raise self._unknown_svm("svm.uuid", uuid)
        by_name = next((s for s in self.svms.values() if s.name == name), None)
        if name is not None and by_name is None and by_uuid is None:
            raise self._unknown_svm("svm.name", name)
        mismatch = by_uuid is not None and name is not None and by_uuid.name != name
        if mismatch and "svm-name-uuid-mismatch" not in self.defects:
            raise OntapError(400, "2621706", "Both the SVM UUID and SVM name were "
                                 "supplied, but they do not refer to the same SVM.", "svm")
        svm = by_uuid or by_name
        assert svm is not None
        return svm

    def _svm_from_path(self, svm_uuid: str) -> Svm:
        svm = self.svms.get(svm_uuid)
        if svm is None:
            raise self._unknown_svm("svm.uuid", svm_uuid)
        return svm

    def _existing(self, svm: Svm, initiator: str) -> Credential:
        found = self._lookup(svm.uuid, initiator)
        if found is None:
            if "missing-wrong-code" in self.defects:
                raise OntapError(409, "5374148", "The default security credential cannot be deleted "
                                 "for an SVM.", "initiator")
            raise OntapError(404, "5374895", "The iSCSI security credential does not exist on "
                             "the specified SVM.", "initiator")
        return found

    # --- credentials --------------------------------------------------------------------
    def create(self, body: Any) -> Credential:
        allowed = {"svm", "initiator", "authentication_type", "chap", "initiator_address",
                   "_links"}
        if "ignore-unknown-fields" in self.defects and isinstance(body, dict):
            body = {k: v for k, v in body.items() if k in allowed}  # breaks CRED-BODY-001
        check_keys(body, allowed, "")
        initiator = opt_str(body, "initiator", "initiator")
        if initiator is None:
            raise errors.missing("initiator")
        if body.get("authentication_type") is None:
            if "auth-type-optional" not in self.defects:
                raise errors.missing("authentication_type")
            body = {**body, "authentication_type": "none"}  # breaks CRED-POST-003
        with self.lock:
            svm = self._resolve_svm(body.get("svm"), post=True)
            if not svm.iscsi and "no-service-check" not in self.defects:  # CRED-SVM-004
                raise OntapError(400, "5374078", "The iSCSI service does not exist.", "svm")
            if initiator != DEFAULT:  # "default" is a name ONTAP itself uses
                check_initiator(initiator, self.defects)
            if (svm.uuid, initiator) in self.creds:  # CRED-POST-004
                if "duplicate-wrong-code" in self.defects:
                    raise OntapError(409, "1", "duplicate entry", "initiator")
                raise OntapError(409, "5374142", "An iSCSI security credential already exists "
                                 "for the specified initiator.", "initiator")
            cred = Credential(svm.uuid, initiator,
                              parse_auth_type(body["authentication_type"], self.defects))
            self._apply_chap(cred, body.get("chap"), None)
            if body.get("initiator_address") is not None:
                cred.ranges, cred.masks = parse_addresses(body["initiator_address"], self.defects)
            # A limit is met when the record would be stored: an invalid body is refused first.
            if "svm-credential-limit" in self.defects and self._held(svm.uuid) >= 10:
                raise OntapError(400, "5374157", "The maximum number of iSCSI security "
                                 "credentials for the SVM has been reached.", "initiator")
            key = (svm.uuid, initiator)
            buried = self.graveyard.pop(key, None)
            if buried is not None and body.get("initiator_address") is None:
                cred.ranges, cred.masks = list(buried.ranges), list(buried.masks)
            self.lingering.pop(key, None)
            self._forget(key)
            self.creds[key] = cred
            if "default-denied-when-busy" in self.defects and self._held(svm.uuid) >= 8:
                self._deny_default(svm.uuid)
            return copy.deepcopy(cred)

    def _held(self, svm_uuid: str) -> int:
        """Credentials of an SVM besides its default."""
        return self.creds.count(svm_uuid) - ((svm_uuid, DEFAULT) in self.creds)

    def _forget(self, key: tuple[str, str]) -> None:
        for memo in (self.stale, self.patches, self.removed):
            memo.pop(key, None)

    def _deny_default(self, svm_uuid: str) -> None:
        default = self.creds.get((svm_uuid, DEFAULT))
        if default is not None and default.auth_type != "deny" and svm_uuid not in self.defaults_set:
            self.creds[(svm_uuid, DEFAULT)] = Credential(svm_uuid, DEFAULT, "deny")

    def check_patch(self, body: Any, add: bool, remove: bool) -> None:
        """The checks of a PATCH that do not depend on the record it changes."""
        check_keys(body, {"svm", "initiator", "authentication_type", "chap",
                          "initiator_address", "_links"}, "")
        if body.get("svm") is not None and not self.release.svm_patchable \
                and "svm-in-patch-ignored" not in self.defects:  # CRED-PATCH-002
            raise self.release.svm_in_patch()
        if add and remove:
            raise errors.invalid("add_initiator_addresses", "add_initiator_addresses and "
                                 "remove_initiator_addresses cannot both be true.")

    def patch(self, svm_uuid: str, initiator: str, body: Any, add: bool, remove: bool) -> None:
        self.check_patch(body, add, remove)
        with self.lock:
            svm = self._svm_from_path(svm_uuid)
            if body.get("svm") is not None and self._resolve_svm(body["svm"]).uuid != svm.uuid:
                raise OntapError(400, "2621706", "Both the SVM UUID and SVM name were supplied, "
                                 "but they do not refer to the same SVM.", "svm")
            old = self._existing(svm, initiator)
            new_initiator = opt_str(body, "initiator", "initiator")
            if new_initiator is not None and new_initiator != old.initiator:
                raise errors.not_settable("initiator")
            new = copy.deepcopy(old)
            if body.get("authentication_type") is not None:
                new.auth_type = parse_auth_type(body["authentication_type"], self.defects)
            self._apply_chap(new, body.get("chap"), old)
            if old.initiator == DEFAULT and "default-type-frozen" in self.defects:
                new.auth_type, new.inbound, new.outbound = old.auth_type, old.inbound, old.outbound
            if body.get("initiator_address") is not None:
                if old.initiator == DEFAULT and "default-takes-addresses" not in self.defects:
                    raise OntapError(400, "5374155", "The functionality is not supported for "
                                     "the default security credential.", "initiator_address")
                ranges, masks = parse_addresses(body["initiator_address"], self.defects)
                if "remove-then-add-restores" in self.defects:
                    ranges, masks = self._remember_removed(new, ranges, masks, add, remove)
                self._apply_addresses(new, ranges, masks, add, remove)
            self._store_patched(old, new, body)

    def _store_patched(self, old: Credential, new: Credential, body: Any) -> None:
        """Keep the PATCHed record (the sequence-only defects of a PATCH live here)."""
        key = (old.svm_uuid, old.initiator)
        if old.initiator == DEFAULT and "default-denied-when-busy" in self.defects:
            self.defaults_set.add(old.svm_uuid)
        applied = "patch-not-applied" not in self.defects
        if "third-patch-not-applied" in self.defects and old.initiator != DEFAULT \
                and body.get("authentication_type") is not None:
            self.patches[key] = self.patches.get(key, 0) + 1
            applied = applied and self.patches[key] < 3
        if not applied:
            return
        if "list-cache-ignores-patch" in self.defects:
            self.stale.setdefault(key, old)
        self.creds[key] = new
        if "patch-reaches-twin" in self.defects and body.get("authentication_type") is not None \
                and new.auth_type in ("none", "deny") and old.initiator != DEFAULT:
            for twin in [k for k in self.creds if k[1] == key[1] and k[0] != key[0]]:
                self.creds[twin] = Credential(twin[0], twin[1], new.auth_type,
                                              ranges=list(self.creds[twin].ranges),
                                              masks=list(self.creds[twin].masks))

    def _remember_removed(self, cred: Credential, ranges: list[Range], masks: list[Mask],
                          add: bool, remove: bool) -> tuple[list[Range], list[Mask]]:
        """remove-then-add-restores: removed addresses are kept aside; an add brings them back."""
        key = (cred.svm_uuid, cred.initiator)
        gone_ranges, gone_masks = self.removed.get(key, ([], []))
        if remove:
            self.removed[key] = (gone_ranges + [r for r in cred.ranges if r in ranges],
                                 gone_masks + [m for m in cred.masks if m in masks])
        elif add:
            self.removed.pop(key, None)
            return ranges + gone_ranges, masks + gone_masks
        return ranges, masks

    def delete(self, svm_uuid: str, initiator: str) -> None:
        with self.lock:
            svm = self._svm_from_path(svm_uuid)
            old = self._existing(svm, initiator)
            if old.initiator == DEFAULT and "delete-default" not in self.defects:
                raise OntapError(400, "5374148", "The default security credential cannot be "
                                 "deleted for an SVM.", "initiator")
            if "delete-not-applied" not in self.defects:
                key = (old.svm_uuid, old.initiator)
                del self.creds[key]
                self._forget(key)
                if "recreate-restores-addresses" in self.defects:
                    self.graveyard[key] = old
                if "deleted-still-listed" in self.defects:
                    self.lingering[key] = old
            if "delete-across-svms" in self.defects:  # the key's SVM part is ignored
                for key in [k for k in self.creds if k[1] == old.initiator]:
                    del self.creds[key]

    # --- rules shared by POST and PATCH -------------------------------------------------
    def _apply_addresses(self, cred: Credential, ranges: list[Range], masks: list[Mask],
                         add: bool, remove: bool) -> None:
        """CRED-ADDR-007..009: replace by default, merge with add, subtract with remove."""
        if add and "ignore-add-flag" in self.defects:
            add = False
        if remove and "ignore-remove-flag" in self.defects:
            remove = False
        if not add and not remove and "patch-addresses-merge" in self.defects:
            add = True
        if add:  # sets: linear time however long the lists
            have_ranges, have_masks = set(cred.ranges), set(cred.masks)
            cred.ranges += [r for r in ranges if r not in have_ranges]
            cred.masks += [m for m in masks if m not in have_masks]
        elif remove:
            drop_ranges, drop_masks = set(ranges), set(masks)
            cred.ranges = [r for r in cred.ranges if r not in drop_ranges]
            cred.masks = [m for m in cred.masks if m not in drop_masks]
        else:
            cred.ranges, cred.masks = ranges, masks

    def _apply_chap(self, cred: Credential, chap: Any, old: Credential | None) -> None:
        """CRED-CHAP-001..005: merge the body's CHAP properties into cred, then check it."""
        d = self.defects
        given = _parse_chap(chap, d)
        if cred.auth_type != "chap":
            setting = any(v for part in given.values() for v in part.values())
            if setting and "chap-with-none-or-deny" not in d:  # CRED-CHAP-005
                raise OntapError(400, "5374900", "Setting the CHAP authentication properties "
                                 "are not supported with authentication types none or deny.",
                                 "chap")
            cred.inbound = cred.outbound = None
            return
        keep = old is not None and old.auth_type == "chap"
        inbound = copy.deepcopy(old.inbound) if keep and old and old.inbound else Chap()
        outbound = copy.deepcopy(old.outbound) if keep and old and old.outbound else None
        if "inbound" in given:
            for key, value in given["inbound"].items():
                setattr(inbound, key, value)
        if "outbound" in given:
            out = given["outbound"]
            if out.get("user") == "":  # clears outbound CHAP (documented from 9.11.1 on)
                if "outbound-not-cleared" not in d:  # CRED-CHAP-010
                    outbound = None
            else:
                outbound = outbound or Chap()
                for key, value in out.items():
                    setattr(outbound, key, value)
        if not (inbound.user and inbound.password) and "chap-without-inbound" not in d:
            raise OntapError(400, "5374149", "The inbound user and password properties are "
                             "required for CHAP authentication.", "chap.inbound")  # CHAP-001
        if outbound is not None:
            if outbound.user and not outbound.password:
                if "outbound-user-without-password" not in d:  # CRED-CHAP-002
                    raise OntapError(400, "5374150", "Outbound CHAP authentication requires "
                                     "an outbound password.", "chap.outbound.password")
            elif not outbound.user:
                raise errors.missing("chap.outbound.user")
            if (inbound.password and outbound.password
                    and same_secret(inbound.password, outbound.password)
                    and "equal-chap-passwords" not in d):  # CRED-CHAP-003
                message = "The CHAP inbound and outbound passwords must be different."
                if "echo-password-in-error" in d:
                    message += f' Both are "{outbound.password}".'
                raise OntapError(400, "5374147", message, "chap.outbound.password")
        cred.inbound, cred.outbound = inbound, outbound


def _parse_chap(chap: Any, defects: Defects) -> dict[str, dict[str, str]]:
    """Shape and per-field checks of a body's chap object; absent and null parts dropped."""
    if chap is None:
        return {}
    check_keys(chap, {"inbound", "outbound"}, "chap")
    out: dict[str, dict[str, str]] = {}
    for side in ("inbound", "outbound"):
        part = chap.get(side)
        if part is None:
            continue
        where = f"chap.{side}"
        check_keys(part, {"user", "password"}, where)
        user = opt_str(part, "user", f"{where}.user")
        password = opt_str(part, "password", f"{where}.password")
        if side == "outbound" and user == "" and not password:
            out[side] = {"user": ""}
            continue
        fields: dict[str, str] = {}
        if user is not None:
            check_user(user, f"{where}.user", defects)
            fields["user"] = user
        if password is not None:
            check_password(password, f"{where}.password", defects)
            fields["password"] = password
        if fields:
            out[side] = fields
    return out
