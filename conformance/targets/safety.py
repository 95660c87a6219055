"""Live-target safety: the start snapshot, the write guard, and the end verification.

A live cluster serves real hosts. The guard lets the run touch only records it
created (or keys inside its run-unique namespace, which nobody else can own), and an
SVM's ``default`` only when the user opted in and the default can be restored exactly.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from conformance.wire.client import CREDENTIALS_PATH, TRANSIENT_STATUSES, Exchange

DEFAULT_INITIATOR = "default"
#: A default of these types can be put back by PATCH; a CHAP default cannot
#: (its passwords are write-only).
RESTORABLE_DEFAULT_TYPES = ("none", "deny")

Key = tuple[str, str]


class UnsafeOperation(Exception):
    """The live-safety guard refused a write that could touch someone else's record."""


def _fold(key: Key) -> Key:
    return (key[0], key[1].casefold())


class LiveGuard:
    """Vetoes writes to records the run did not create; caps objects alive.

    Args:
        snapshot: Every record present at start (the housekeeping's start snapshot).
        svm_uuids: SVM name -> uuid for the SVMs the run uses.
        namespace: The run-unique IQN authority (``iqn.2000-01.org.conformance.r...``).
        eui_prefix: The run-unique 8 hex digits that start every EUI the run makes.
        allow_default_changes: The user's ``--allow-default-changes``.
        max_objects: Most records the run may have alive at once.
    """

    def __init__(self, snapshot: dict[Key, dict[str, Any]], *, svm_uuids: dict[str, str],
                 namespace: str, eui_prefix: str, allow_default_changes: bool,
                 max_objects: int, allow_collection_writes: bool = False) -> None:
        self.snapshot = snapshot
        self._foreign = {_fold(key) for key in snapshot}
        self.svm_uuids = svm_uuids
        self.namespace = namespace.casefold()
        self.eui_prefix = ("eui." + eui_prefix).casefold()
        self.allow_default_changes = allow_default_changes
        self.allow_collection_writes = allow_collection_writes
        self.max_objects = max_objects
        self.created: set[Key] = set()
        self.alive: set[Key] = set()
        #: creates sent whose answer never came: they may exist (the cleanup deletes them by key)
        self.unsettled: set[Key] = set()
        self.defaults_touched: set[str] = set()

    def in_namespace(self, initiator: str) -> bool:
        """Whether a name is inside the run-unique namespace (so nobody else owns it)."""
        name = initiator.casefold()
        return name.startswith(self.namespace) or name.startswith(self.eui_prefix)

    def default_changeable(self, svm_uuid: str) -> bool:
        """Whether the run may change (and later restore) this SVM's default credential."""
        record = self.snapshot.get((svm_uuid, DEFAULT_INITIATOR))
        auth = (record or {}).get("authentication_type", "")
        return self.allow_default_changes and str(auth).lower() in RESTORABLE_DEFAULT_TYPES

    def may_modify(self, svm_uuid: str, initiator: str) -> bool:
        """Whether PATCH/DELETE of this key is allowed."""
        if initiator == DEFAULT_INITIATOR:
            return self.default_changeable(svm_uuid)
        key = (svm_uuid, initiator)
        if _fold(key) in self._foreign:
            return False
        return key in self.created or self.in_namespace(initiator)

    def __call__(self, path: str, params: dict[str, Any] | None = None) -> None:
        """Refuse a PATCH/DELETE of ``path`` unless the run owns the record (or, for a
        query-based write of the collection, unless the user opted in and the query selects
        names inside the run's namespace only)."""
        if path.rstrip("/") == CREDENTIALS_PATH:
            self._collection_write(params or {})
            return
        prefix = CREDENTIALS_PATH + "/"
        parts = path[len(prefix):].split("/") if path.startswith(prefix) else []
        if len(parts) != 2 or not all(parts):
            raise UnsafeOperation(f"refusing a write to {path} on a live target: only "
                                  "single records this run created may be changed")
        svm_uuid, initiator = unquote(parts[0]), unquote(parts[1])
        if not self.may_modify(svm_uuid, initiator):
            why = ("the default credential may change only with --allow-default-changes and "
                   "when it is none or deny" if initiator == DEFAULT_INITIATOR
                   else "this run did not create it")
            raise UnsafeOperation(f"refusing to change {svm_uuid}/{initiator}: {why}")
        if initiator == DEFAULT_INITIATOR:
            self.defaults_touched.add(svm_uuid)

    def _collection_write(self, params: dict[str, Any]) -> None:
        if not self.allow_collection_writes:
            raise UnsafeOperation("refusing a query-based PATCH/DELETE of the collection on a live "
                                  "target: a target that mis-filters would change other clients' "
                                  "records; opt in with --allow-collection-writes")
        query = str(params.get("initiator", ""))
        literal = query[:-1] if query.endswith("*") else query
        if not literal.casefold().startswith(self.namespace + ":") or any(
                op in literal for op in ("*", "|", "!", "<", ">", "..", "{", '"')):
            raise UnsafeOperation(f"refusing a query-based write whose initiator query {query!r} is not "
                                  f"a plain name or prefix inside the run's namespace {self.namespace}")

    def before_create(self, svm_ref: dict[str, Any], initiator: str) -> None:
        """Refuse a create over a record that existed before the run, or past the cap."""
        uuid = svm_ref.get("uuid") or self.svm_uuids.get(str(svm_ref.get("name")), "")
        if initiator == DEFAULT_INITIATOR or _fold((str(uuid), initiator)) in self._foreign:
            raise UnsafeOperation(f"refusing to create {uuid}/{initiator}: a record of that "
                                  "name existed before the run")
        if len(self.alive) >= self.max_objects:
            raise UnsafeOperation(f"refusing to create more than --max-objects "
                                  f"{self.max_objects} records at once")
        self.unsettled.add((str(uuid), initiator))

    def observe(self, exchange: Exchange) -> None:
        """Track what the run created and deleted, from the target's answers."""
        if exchange.method == "POST" and exchange.path.rstrip("/") == CREDENTIALS_PATH:
            body = exchange.request_json if isinstance(exchange.request_json, dict) else {}
            svm = body.get("svm") or {}
            uuid = svm.get("uuid") or self.svm_uuids.get(str(svm.get("name")), "")
            key = (str(uuid), str(body.get("initiator")))
            if exchange.status not in TRANSIENT_STATUSES:
                self.unsettled.discard(key)
            if exchange.status == 201:
                self.created.add(key)
                self.alive.add(key)
        elif exchange.method == "DELETE" and exchange.status == 200:
            parts = exchange.path[len(CREDENTIALS_PATH) + 1:].split("/")
            if len(parts) == 2:
                self.alive.discard((unquote(parts[0]), unquote(parts[1])))

    def room_for_create(self) -> bool:
        """Whether one more create stays within ``--max-objects`` (the guard's own count)."""
        return len(self.alive) < self.max_objects

    def forget_alive(self) -> None:
        """Called after a reset removed everything the run had alive."""
        self.alive.clear()
        self.unsettled.clear()


def changed_foreign_records(snapshot: dict[Key, dict[str, Any]],
                            now: dict[Key, dict[str, Any]]) -> list[tuple[str, Key]]:
    """One line (and the key) per record present at start that is now missing or different."""
    problems = []
    for key, before in sorted(snapshot.items()):
        after = now.get(key)
        if after is None:
            problems.append((f"{key[0]}/{key[1]} disappeared", key))
        elif after != before:
            changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
            problems.append((f"{key[0]}/{key[1]} changed ({', '.join(changed)})", key))
    return problems
