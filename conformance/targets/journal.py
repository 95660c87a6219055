"""Crash-safe record of every key a live run is about to create, and the sweep that reads it.

A line is fsync'd before the create request leaves, so a run killed at any moment
leaves a journal naming everything it may have created; ``--sweep`` deletes exactly
those records that still exist, and nothing else.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from conformance.wire.client import CREDENTIALS_PATH, Client, record_path

DEFAULT_INITIATOR = "default"


class Journal:
    """Append-only JSONL file ``journal-<run id>.jsonl`` in the report directory."""

    def __init__(self, directory: Path, run_id: str, target_url: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"journal-{run_id}.jsonl"
        self.run_id = run_id
        self.keys: list[tuple[dict[str, str], str]] = []
        self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - held for the run
        self._write({"run": run_id, "target": target_url, "started": time.time()})

    def record(self, svm_ref: dict[str, Any] | None, initiator: str) -> None:
        """Journal one key that a create request is about to make (before it is sent)."""
        ref = {k: str(v) for k, v in (svm_ref or {}).items() if k in ("uuid", "name") and v}
        self.keys.append((ref, initiator))
        entry: dict[str, Any] = {"initiator": initiator}
        if "uuid" in ref:
            entry["svm_uuid"] = ref["uuid"]
        if "name" in ref:
            entry["svm_name"] = ref["name"]
        self._write(entry)

    def record_default(self, svm_uuid: str, authentication_type: str) -> None:
        """Journal the state to restore before the run changes an SVM's default credential."""
        self._write({"svm_uuid": svm_uuid, "restore_default": authentication_type})

    def _write(self, entry: dict[str, Any]) -> None:
        self._file.write(json.dumps(entry, sort_keys=True) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self, *, remove: bool = False) -> None:
        """Close the file; ``remove`` deletes it once teardown left nothing behind."""
        if not self._file.closed:
            self._file.close()
        if remove:
            self.path.unlink(missing_ok=True)


def read_journal(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Return the journal's header and its entries; a torn last line is ignored."""
    header: dict[str, Any] = {}
    entries: list[dict[str, Any]] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # the run was killed mid-write; that create was never sent
        if "run" in entry:
            header = entry
        else:
            entries.append(entry)
    return header, entries


def sweep(journal_path: Path, client: Client) -> list[str]:
    """Delete every journaled record that still exists; restore journaled defaults.

    Returns:
        One line per action, for the user to read.
    """
    _, entries = read_journal(journal_path)
    actions: list[str] = []
    uuids: dict[str, str | None] = {}
    seen: set[tuple[str, str]] = set()
    for entry in entries:
        if "restore_default" in entry:
            actions.append(_restore_default(client, entry["svm_uuid"], entry["restore_default"]))
            continue
        initiator = entry.get("initiator")
        uuid = entry.get("svm_uuid") or _svm_uuid(client, entry.get("svm_name"), uuids)
        if not initiator or initiator == DEFAULT_INITIATOR:
            continue
        label = f"{entry.get('svm_name') or uuid}/{initiator}"
        if not uuid:
            # A create that named no SVM, or one that does not exist, cannot have made a
            # record; only a failed lookup leaves the question open.
            if entry.get("svm_name") and uuids.get(entry["svm_name"], "") == "":
                actions.append(f"skipped {label}: the SVM lookup failed")
            else:
                actions.append(f"absent  {label} (no such SVM)")
            continue
        if (uuid, initiator) in seen:
            continue
        seen.add((uuid, initiator))
        path = record_path(uuid, initiator)
        if client.request("GET", path).status != 200:
            actions.append(f"absent  {label}")
            continue
        status = client.request("DELETE", path).status
        if status == 200 and client.request("GET", path).status == 200:
            # Judged like any answer: a DELETE acknowledged and not applied (CRED-DEL-001).
            actions.append(f"FAILED  {label}: still present after a DELETE that answered 200 (CRED-DEL-001)")
            continue
        actions.append(f"deleted {label}" if status == 200 else f"FAILED  {label}: DELETE -> {status}")
    return actions


def _svm_uuid(client: Client, name: str | None, cache: dict[str, str | None]) -> str | None:
    if not name:
        return None
    if name not in cache:
        exchange = client.request("GET", "/api/svm/svms", params={"name": name, "fields": "uuid"})
        records = (exchange.response_json or {}).get("records") or []
        # None: no such SVM; "": the lookup itself failed (the sweep reports a problem).
        cache[name] = (records[0].get("uuid") if len(records) == 1 else None) \
            if exchange.status == 200 else ""
    return cache[name] or None


def _restore_default(client: Client, svm_uuid: str, auth_type: str) -> str:
    path = record_path(svm_uuid, DEFAULT_INITIATOR)
    current = client.request("GET", path)
    if current.status == 200 and (current.response_json or {}).get("authentication_type") == auth_type:
        return f"kept    {svm_uuid}/default ({auth_type})"
    if current.status == 404:
        body = {"svm": {"uuid": svm_uuid}, "initiator": DEFAULT_INITIATOR,
                "authentication_type": auth_type}
        status = client.request("POST", CREDENTIALS_PATH, json=body).status
    else:
        status = client.request("PATCH", path, json={"authentication_type": auth_type}).status
    ok = status in (200, 201)
    return f"{'restored' if ok else 'FAILED  '} {svm_uuid}/default -> {auth_type} ({status})"
