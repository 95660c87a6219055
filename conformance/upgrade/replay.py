"""Replaying recorded programs on a target: ``--replay FILE``.

``--replay FILE`` runs exactly the programs of a recording (``--record FILE``) against the
run's target, through the :class:`~conformance.judging.driver.Driver`, so every step is judged
as in any run. Each step is then compared with what the recording observed and classified
(same, noise, documented change, behaviour change, not replayed:
:mod:`conformance.upgrade.step_classes`); ``replay.json`` and the ``replay`` section of
``conformance.json`` say what changed.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.judging import queries
from conformance.judging.applicability import not_applicable
from conformance.judging.driver import Driver, model_for
from conformance.judging.failures import ConformanceFailure
from conformance.judging.judge import Judge
from conformance.judging.ledger import Ledger
from conformance.judging.pages import read_all
from conformance.targets.safety import UnsafeOperation
from conformance.upgrade.normaliser import Normaliser, normaliser_for
from conformance.upgrade.password_shapes import Secrets
from conformance.upgrade.recording import ProgramRecorder, digest
from conformance.upgrade.recording_format import RecordingError
from conformance.upgrade.step_classes import (
    BEHAVIOUR_CHANGE,
    CLASSES,
    DOCUMENTED_CHANGE,
    classify,
    predict,
    recorded_key,
)
from conformance.wire.client import NoAnswer
from models.query import FILTER_FIELDS
from models.records import DEFAULT_INITIATOR
from models.releases import Release, parse_release, release_text

JSON_NAME = "replay.json"
#: How many kinds of change the conformance report lists (replay.json has every step).
SHOWN_IN_REPORT = 50

#: Operations whose example tests run only where their rule applies (``require``).
REQUIRES = {"check_secret_query": "CRED-GET-003", "update_collection": "CRED-PATCH-003",
            "delete_collection": "CRED-DEL-002"}


class ReplayError(Exception):
    """A recording cannot be replayed on this target; the message is one line."""


@dataclass
class ProgramRun:
    """One program as replayed: what each step observed and what the model predicted."""

    recorder: ProgramRecorder
    predictions: list[Any] = field(default_factory=list)  # per replayed step
    failure: BaseException | None = None
    stopped: str = ""  # why the program ended before its last step


# ---- running one program ----------------------------------------------------------------------------
def run_program(program: dict[str, Any], target: Any, ledger: Ledger, normaliser: Normaliser,
                before: Release | None = None) -> ProgramRun:
    """Replay one recorded program on a freshly reset target.

    Args:
        before: the recording's release; when given, each step also gets the model's
            predictions for that release and the target's (for :func:`classify`).
    """
    target.reset()
    client = target.client()
    run = ProgramRun(ProgramRecorder(normaliser, test=str(program.get("test", ""))))
    skipped = not_applicable(target)
    try:
        model = model_for(target, client)
        driver = Driver(client, model, Judge(ledger, strict_observed=target.strict_observed),
                        fresh_defaults=target.kind == "emulator", scope=target.scope())
        driver.recorder = run.recorder
        last_list: tuple[Any, list[Any]] | None = None
        for index, step in enumerate(program["steps"]):
            op = str(step.get("op"))
            args = normaliser.restore(step.get("args") or {})
            why = _not_allowed(target, op, args, skipped)
            if why:
                run.stopped = f"step {index} ({op}) not replayed: {why}"
                break
            run.predictions.append(predict(op, args, driver.model, before) if before else None)
            try:
                result = _call(driver, op, args, last_list)
            except ConformanceFailure as exc:
                run.failure, run.stopped = exc, f"step {index} ({op}) failed: {', '.join(exc.rule_ids)}"
                break
            except NoAnswer as exc:
                driver.lose_track(exc, f"replayed program {program.get('test', '')} step {index} ({op})")
                run.stopped = f"step {index} ({op}) got no usable answer"
                break
            except UnsafeOperation as exc:
                run.stopped = f"step {index} ({op}) refused by the live-safety guard: {exc}"
                break
            if op in ("list", "read_all"):
                last_list = result
    finally:
        client.close()
    return run


def _not_allowed(target: Any, op: str, args: dict[str, Any], skipped: dict[str, str]) -> str:
    """Why a step of the recording may not be sent to this target: the checks the machine and
    the example tests make before they send it (``may_write``, ``require``)."""
    rule = REQUIRES.get(op)
    if rule in skipped:
        return f"{rule} is not applicable: {skipped[rule]}"
    if op in ("update", "delete"):
        svm_uuid, initiator = args["key"]
        if initiator == DEFAULT_INITIATOR and not target.default_changeable(svm_uuid):
            return "changing a default credential needs --allow-default-changes on this target"
        if initiator != DEFAULT_INITIATOR and not target.may_modify(svm_uuid, initiator):
            return "the record is not the run's own"
    return ""


def _call(driver: Driver, op: str, args: dict[str, Any], last_list: tuple[Any, list[Any]] | None) -> Any:
    """Call one recorded operation on the driver."""
    if op == "create":
        return driver.create(args["body"], return_records=bool(args.get("return_records")))
    if op == "update":
        return driver.update(recorded_key(args["key"]), args["body"], args.get("params"))
    if op == "delete":
        return driver.delete(recorded_key(args["key"]))
    if op == "get":
        return driver.get(recorded_key(args["key"]), fields=args.get("fields"))
    if op == "list":
        return driver.list(args.get("params"), count_only=bool(args.get("count_only")),
                           whole=bool(args.get("whole")))
    if op == "read_all":
        return read_all(driver, args.get("params") or {}, whole=bool(args.get("whole")))
    if op == "check_whole_collection":
        return queries.check_whole_collection(driver)
    if op == "check_whole_query":
        return queries.check_whole_query(driver)
    if op == "compare":
        if last_list is None:
            raise ReplayError("the recording compares a collection it never listed")
        exchange, records = last_list
        filters = {k: v for k, v in (exchange.params or {}).items() if k in FILTER_FIELDS}
        fields = args.get("fields")
        return driver.compare_collection(records, driver.model.list(filters), exchange, args["rule"],
                                         fields=None if fields is None else frozenset(fields),
                                         filtered=bool(args.get("filtered")),
                                         membership_rule=args.get("membership_rule"), scoped=args.get("scoped"))
    if op == "update_collection":
        return driver.update_collection(args["filters"], args["body"], args.get("params"))
    if op == "delete_collection":
        return driver.delete_collection(args["filters"])
    if op == "check_filtered":
        return queries.check_filtered(driver, args["filters"], args["rule"])
    if op == "check_fields":
        return queries.check_fields(driver, frozenset(args["wanted"]))
    if op == "check_ordered":
        return queries.check_ordered(driver, args["direction"])
    if op == "check_paged":
        return queries.check_paged(driver, int(args["size"]))
    if op == "check_count":
        return queries.check_count(driver, args.get("filters"))
    if op == "check_return_timeout":
        return queries.check_return_timeout(driver, int(args["seconds"]))
    if op == "check_secret_query":
        return queries.check_secret_query(driver, args["how"])
    if op == "send":
        exchange = driver.send(args["method"], args["path"], params=args.get("params"))
        driver.screen(exchange)
        return exchange
    raise ReplayError(f"the recording has an operation this suite does not know: {op!r}")


# ---- a --replay run --------------------------------------------------------------------------------
class ReplaySession:
    """The programs of one recording, replayed one per test on the run's target."""

    def __init__(self, path: Path, document: dict[str, Any]) -> None:
        self.path = path
        self.document = document
        self.programs: list[dict[str, Any]] = document["programs"]
        try:
            self.before = parse_release(str(document.get("release")))
        except ValueError:
            raise ReplayError(f"{path}: the recording names no ONTAP release") from None
        self.noise = set((document.get("noise") or {}).get("fields") or [])
        self.results: dict[int, dict[str, Any]] = {}
        self.normaliser: Normaliser | None = None
        self.after: Release | None = None

    def program_ids(self) -> list[str]:
        """One test ID per program: its position and the test that ran it."""
        return [f"{i:04d}-{_short_test(p.get('test', ''))}" for i, p in enumerate(self.programs)]

    def bind(self, target: Any) -> None:
        """Map the recording's SVMs onto the target's (by name); one line when one is missing."""
        if self.normaliser is not None:
            return
        names = {s.name for s in target.svms}
        wanted = [s.get("name") for s in self.document.get("svms") or [] if isinstance(s, dict)]
        missing = [n for n in wanted if n not in names and _named_in(self.programs, n)]
        if missing:
            raise ReplayError(f"the recording names SVM(s) {', '.join(map(str, missing))}, which the target "
                              f"does not have (it has {', '.join(sorted(names))}); SVMs are matched by name")
        self.normaliser = normaliser_for(target, Secrets())
        self.after = target.release

    def run(self, index: int, target: Any, ledger: Ledger) -> None:
        """Replay program ``index``; re-raise the failure it met (it is the run's verdict too)."""
        self.bind(target)
        assert self.normaliser is not None and self.after is not None
        program = self.programs[index]
        try:
            run = run_program(program, target, ledger, self.normaliser, self.before)
        except RecordingError as exc:
            raise ReplayError(str(exc)) from None
        steps: list[dict[str, Any]] = []
        for number, recorded in enumerate(program["steps"]):
            replayed = run.recorder.steps[number] if number < len(run.recorder.steps) else None
            prediction = run.predictions[number] if number < len(run.predictions) else None
            state = digest(self.normaliser.secrets.scrub(replayed.state)) if replayed is not None else ""
            entry = classify(recorded, replayed, prediction, self.noise, self.before, self.after, steps, state)
            entry["step"] = number
            if replayed is None and run.stopped:
                entry["why"] = run.stopped
            steps.append(entry)
        self.results[index] = {"program": index, "test": program.get("test", ""), "stopped": run.stopped,
                               "steps": steps}
        if run.failure is not None:
            raise run.failure

    def summary(self) -> dict[str, Any]:
        """The replay section of ``conformance.json``."""
        counts: Counter[str] = Counter()
        origins: Counter[str] = Counter()
        groups: dict[tuple[Any, ...], dict[str, Any]] = {}
        for result in self.results.values():
            for step in result["steps"]:
                counts[step["class"]] += 1
                if step["class"] not in (DOCUMENTED_CHANGE, BEHAVIOUR_CHANGE) or "follows" in step:
                    continue
                origins[step["class"]] += 1
                # One entry per kind of change: the same request shape answered the same way.
                key = (step["class"], step["op"], step.get("answers"), step.get("allowed"),
                       tuple(sorted({f["request"] + " " + f["field"] for f in step.get("fields", [])})))
                group = groups.get(key)
                if group is None:
                    group = groups[key] = {"program": result["program"], "test": result["test"], **step,
                                           "count": 0, "examples": []}
                group["count"] += 1
                if len(group["examples"]) < 3:
                    group["examples"].append(f"{result['test']} step {step['step']}")
        changes = sorted(groups.values(), key=lambda g: (g["class"] != BEHAVIOUR_CHANGE, -g["count"]))
        return {
            "recording": str(self.path),
            "recorded_release": release_text(self.before),
            "release": release_text(self.after) if self.after else None,
            "recorded_target": self.document.get("target"),
            "noise_calibrated": bool((self.document.get("noise") or {}).get("calibrated")),
            "noise_fields": sorted(self.noise),
            "programs": len(self.programs),
            "programs_replayed": len(self.results),
            "steps": sum(counts.values()),
            "counts": {c: counts[c] for c in CLASSES},
            "changes_at_origin": {c: origins[c] for c in (DOCUMENTED_CHANGE, BEHAVIOUR_CHANGE)},
            "changes": changes[:SHOWN_IN_REPORT],
            "kinds_of_change": len(changes),
            "changes_total": sum(origins.values()),
        }

    def write(self, report_dir: Path) -> Path:
        """Write ``replay.json``: the summary and every program's steps, classified."""
        report_dir.mkdir(parents=True, exist_ok=True)
        path = report_dir / JSON_NAME
        document = {**self.summary(), "results": [self.results[i] for i in sorted(self.results)]}
        path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return path


def _short_test(nodeid: str) -> str:
    name = nodeid.split("::")[-1] if nodeid else "program"
    return "".join(c if c.isalnum() or c in "_-." else "_" for c in name)[:60].rstrip("_")


def _named_in(programs: list[dict[str, Any]], name: Any) -> bool:
    markers = (f"<svm:{name}>", json.dumps(name))
    return any(m in json.dumps(step.get("args")) for p in programs for step in p["steps"] for m in markers)
