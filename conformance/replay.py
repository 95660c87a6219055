"""Replaying recorded programs on a target, and what changed, step by step.

``--replay FILE`` runs exactly the programs of a recording (``--record FILE``) against the
run's target, through the :class:`~conformance.judging.driver.Driver`, so every step is judged as in
any run. Each step is then compared, field by field, with what the recording observed, and
classified:

``same``
    nothing differs.
``noise``
    only fields differ that also differed when the recording run replayed its own programs on
    its own target (the calibration pass of ``--record``, as Diffy calibrates with two copies
    of the old service): they change from run to run, not from release to release.
``documented change``
    the outcomes the model allows for this request differ between the recording's release
    and the target's, and the new answer is one the target's release allows.
``behaviour change``
    anything else: the model predicts the same for both releases, yet the answer differs
    (``allowed`` says whether both answers are still within the documentation, e.g. an HTTP
    status the doc leaves open), or the new answer is not allowed at all (also a failure of
    the run).
``not replayed``
    the program stopped before this step (a failure, an unanswered request, a write this
    target does not allow).

A step whose model state already differs from the recorded one (an earlier step of the
program changed it) takes the class of that earlier change and names it (``follows``).
"""

from __future__ import annotations

import copy
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
from conformance.recording import (
    FieldDifference,
    Normaliser,
    ProgramRecorder,
    RecordingError,
    Secrets,
    differences,
    digest,
    normaliser_for,
    route_of,
)
from conformance.target.safety import UnsafeOperation
from conformance.wire.client import NoAnswer
from models.outcomes import Expectation
from models.query import FILTER_FIELDS
from models.records import DEFAULT_INITIATOR
from models.releases import Release, parse_release, release_text
from models.rules import BY_ID, DOCUMENTED

SAME, NOISE, DOCUMENTED_CHANGE, BEHAVIOUR_CHANGE = "same", "noise", "documented change", "behaviour change"
NOT_REPLAYED = "not replayed"
CLASSES = (SAME, NOISE, DOCUMENTED_CHANGE, BEHAVIOUR_CHANGE, NOT_REPLAYED)
JSON_NAME = "replay.json"
#: How many kinds of change the conformance report lists (replay.json has every step).
SHOWN_IN_REPORT = 50

#: The rules a query check (an operation without an outcome set of its own) judges.
RULES_OF: dict[str, tuple[str, ...]] = {
    "list": ("CRED-LIST-001",), "check_fields": ("CRED-GET-002",), "check_ordered": ("CRED-LIST-007",),
    "check_paged": ("CRED-LIST-005", "CRED-LIST-008"), "check_count": ("CRED-LIST-006",),
    "check_return_timeout": ("CRED-LIST-009",), "check_secret_query": ("CRED-GET-003",),
    "send": ("CRED-ERR-001",),
}


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
        return driver.update(_key(args["key"]), args["body"], args.get("params"))
    if op == "delete":
        return driver.delete(_key(args["key"]))
    if op == "get":
        return driver.get(_key(args["key"]), fields=args.get("fields"))
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
        return queries.check_count(driver)
    if op == "check_return_timeout":
        return queries.check_return_timeout(driver, int(args["seconds"]))
    if op == "check_secret_query":
        return queries.check_secret_query(driver, args["how"])
    if op == "send":
        exchange = driver.send(args["method"], args["path"], params=args.get("params"))
        driver.screen(exchange)
        return exchange
    raise ReplayError(f"the recording has an operation this suite does not know: {op!r}")


def _key(value: Any) -> tuple[str, str]:
    return (str(value[0]), str(value[1]))


# ---- what the model predicts, release by release ----------------------------------------------------
def predict(op: str, args: dict[str, Any], model: Any, before: Release) -> tuple[Any, Any] | None:
    """The model's predictions for one step under the recording's release and the target's.

    Both are asked of the same state (the model as it follows this target), so they differ
    only where the documentation of the two releases differs. Query checks have no outcome
    set of their own: their prediction is the rules they judge, with each one's applicability
    and basis in the release.
    """
    then = copy.copy(model)
    then.release = before
    then.records = dict(model.records)
    try:
        return _ask(op, args, then), _ask(op, args, model)
    except Exception:  # a recorded argument the model cannot reason about: no prediction
        return None


def _ask(op: str, args: dict[str, Any], model: Any) -> Any:
    if op == "create":
        return model.create(args["body"])
    if op == "update":
        return model.update(*_key(args["key"]), args["body"], args.get("params"))
    if op == "delete":
        return model.delete(*_key(args["key"]))
    if op == "get":
        return model.get(*_key(args["key"]))
    if op == "update_collection":
        return model.update_collection(args["filters"], args["body"], args.get("params"))
    if op == "delete_collection":
        return model.delete_collection(args["filters"])
    rules = RULES_OF.get(op) or tuple(r for r in (args.get("rule"), args.get("membership_rule")) if r)
    return tuple((r, BY_ID[r].applies_to(model.release), BY_ID[r].basis_in(model.release)) for r in rules)


def outcome_set(prediction: Any) -> Any:
    """A prediction in a form two releases' predictions can be compared in."""
    if not isinstance(prediction, Expectation):
        return prediction
    return frozenset((o.success, o.statuses, o.codes, o.rules, o.deviates_from, o.certain, _result(o.result))
                     for o in prediction.outcomes)


def _result(result: Any) -> tuple[str, ...]:
    versions = result if isinstance(result, tuple | list) else (() if result is None else (result,))
    return tuple(sorted(json.dumps(v.as_json(), sort_keys=True, default=str) if hasattr(v, "as_json") else str(v)
                        for v in versions))


def fits(prediction: Any, observed: dict[str, Any] | None, release: Release) -> bool | None:
    """Whether an answer is one the prediction allows (a deviation from a rule the release
    documents does not count); None when the prediction has no outcome set."""
    if not isinstance(prediction, Expectation) or observed is None:
        return None
    for outcome in prediction.matching(int(observed.get("status") or 0), observed.get("code")):
        if not any(BY_ID[r].basis_in(release) == DOCUMENTED for r in outcome.deviates_from):
            return True
    return False


# ---- classifying ---------------------------------------------------------------------------------
def classify(recorded: dict[str, Any], replayed: Any, prediction: tuple[Any, Any] | None, noise: set[str],
             before: Release, after: Release, earlier: list[dict[str, Any]], state: str = "") -> dict[str, Any]:
    """One step's class (see the module text) and the evidence for it.

    ``state``: the digest of the model's state before the replayed step.
    """
    entry: dict[str, Any] = {"op": recorded.get("op"), "class": SAME}
    if replayed is None:
        entry["class"] = NOT_REPLAYED
        return entry
    recorded_exchanges = recorded.get("exchanges") or []
    diffs = differences(recorded_exchanges, replayed.exchanges)
    verdicts = (_verdict(recorded.get("error")), _verdict(replayed.error))
    if verdicts[0] != verdicts[1]:
        diffs.append(FieldDifference(-1, "-", "-", "(verdict)", verdicts[0], verdicts[1]))
    if not diffs:
        return entry
    real = [d for d in diffs if d.noise_key not in noise]
    entry["fields"] = [d.as_json() for d in (real or diffs)[:20]]
    entry["before"], entry["after"] = _answer(recorded_exchanges), _answer(replayed.exchanges)
    entry["answers"] = f"{_answer(recorded_exchanges, short=True)} => {_answer(replayed.exchanges, short=True)}"
    if not real:
        entry["class"] = NOISE
        return entry
    if recorded.get("state") and state != recorded.get("state"):
        cause = next((e for e in reversed(earlier) if e["class"] in (DOCUMENTED_CHANGE, BEHAVIOUR_CHANGE)), None)
        if cause is not None:
            entry["class"] = cause["class"]
            entry["follows"] = cause["step"]
            return entry
    if prediction is None:
        entry["class"] = BEHAVIOUR_CHANGE
        entry["why"] = "the model makes no prediction for this step"
        return entry
    then, now = prediction
    first_before = recorded_exchanges[0] if recorded_exchanges else None
    first_after = replayed.exchanges[0] if replayed.exchanges else None
    allowed_now = fits(now, first_after, after)
    if outcome_set(then) != outcome_set(now) and allowed_now is not False:
        entry["class"] = DOCUMENTED_CHANGE
        entry["why"] = (f"ONTAP {release_text(before)} allows {_describe(then)}; "
                        f"ONTAP {release_text(after)} allows {_describe(now)}")
        return entry
    entry["class"] = BEHAVIOUR_CHANGE
    allowed_then = fits(then, first_before, before)
    entry["allowed"] = bool(allowed_now and allowed_then) if allowed_now is not None else None
    entry["why"] = (f"both releases allow {_describe(now)}" if outcome_set(then) == outcome_set(now)
                    else f"ONTAP {release_text(after)} allows {_describe(now)}, not this answer")
    return entry


def _verdict(error: Any) -> str:
    if not error:
        return "judged"
    if error.get("kind") == "failure":
        return "failed " + ", ".join(error.get("rules") or [])
    return str(error.get("kind"))


def _answer(exchanges: list[dict[str, Any]], *, short: bool = False) -> str:
    """The first answer of a step: ``PATCH <path> -> 400 5374145`` (short: the route only)."""
    if not exchanges:
        return "(no answer)"
    first = exchanges[0]
    request = first.get("request") or {}
    path = str(request.get("path"))
    code = f" {first['code']}" if first.get("code") else ""
    return f"{request.get('method')} {route_of(path) if short else path} -> {first.get('status')}{code}"


def _describe(prediction: Any) -> str:
    if isinstance(prediction, Expectation):
        return prediction.describe()
    return "; ".join(f"{rule} ({'applies' if applies else 'not applicable'}, {basis})"
                     for rule, applies, basis in prediction or ())


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
