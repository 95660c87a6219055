"""``--sweep JOURNAL``: delete what a killed live run journaled, then exit without running tests.

A live run journals every create before it is sent (:mod:`conformance.targets.journal`); a
run that could not clean up names the journal and the exact sweep command at its end.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conformance.face.config import load_config
from conformance.targets.journal import read_journal, sweep
from conformance.targets.settings import TargetConfig
from conformance.wire.client import Client, TargetUnreachable
from conformance.wire.redaction import REDACTOR


def run_sweep(config: pytest.Config) -> int | None:
    """Run ``--sweep JOURNAL`` (or ``--sweep DIR``: every journal in it) instead of the tests;
    None without ``--sweep``."""
    if not config.getoption("sweep", None):
        return None
    target_config = load_config(config)
    where = target_config.sweep
    assert where is not None
    journals = sorted(where.glob("journal-*.jsonl")) if where.is_dir() else [where]
    if not where.exists() or (where.is_dir() and not journals):
        raise pytest.UsageError(f"--sweep {where}: no such journal" + (" in that directory" if where.is_dir() else ""))
    if not (target_config.username and target_config.password):
        raise pytest.UsageError("--sweep needs ONTAP_USERNAME and ONTAP_PASSWORD")
    return max(_sweep_one(journal, target_config) for journal in journals)


def _sweep_one(journal_path: Path, target_config: TargetConfig) -> int:
    header, _ = read_journal(journal_path)
    url = target_config.url or header.get("target")
    if not url:
        raise pytest.UsageError(f"--sweep {journal_path}: the journal names no target; give --target URL")
    if target_config.url and header.get("target") and header["target"] != target_config.url:
        raise pytest.UsageError(f"--sweep: the journal {journal_path.name} belongs to {header['target']}, "
                                f"not {target_config.url}")
    client = Client(url, username=target_config.username or "", password=target_config.password or "",
                    verify=target_config.verify, rate_limit=target_config.rate_limit)
    try:
        actions = sweep(journal_path, client)
    except TargetUnreachable as exc:
        print(REDACTOR.redact_text(f"sweep: cannot reach {url}: {exc}"), file=sys.stderr)
        return 1
    for line in actions:
        print(REDACTOR.redact_text(f"sweep: {line}"))
    failed = [line for line in actions if line.startswith(("FAILED", "skipped"))]
    print(f"sweep: {len(actions)} journaled keys handled, {len(failed)} problems ({journal_path})")
    if not failed:
        journal_path.rename(journal_path.with_suffix(".swept"))
    return 1 if failed else 0


def sweep_command(config: TargetConfig, journal: Path) -> str:
    """The exact command that deletes what a live run left behind."""
    svms = "".join(f" --svm {name}" for name in config.svms)
    return f"pytest conformance --target {config.url}{svms} --sweep={journal.resolve()}"
