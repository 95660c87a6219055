"""What changed in a replayed step: its class, from the two observations and the model's predictions.

Each replayed step is compared, field by field, with what the recording observed, and
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
from typing import Any

from conformance.upgrade.differences import FieldDifference, differences, route_of
from models.outcomes import Expectation
from models.releases import Release, release_text
from models.rules import BY_ID, DOCUMENTED

SAME, NOISE, DOCUMENTED_CHANGE, BEHAVIOUR_CHANGE = "same", "noise", "documented change", "behaviour change"
NOT_REPLAYED = "not replayed"
CLASSES = (SAME, NOISE, DOCUMENTED_CHANGE, BEHAVIOUR_CHANGE, NOT_REPLAYED)

#: The rules a query check (an operation without an outcome set of its own) judges.
RULES_OF: dict[str, tuple[str, ...]] = {
    "list": ("CRED-LIST-001",), "check_fields": ("CRED-GET-002",), "check_ordered": ("CRED-LIST-007",),
    "check_paged": ("CRED-LIST-005", "CRED-LIST-008"), "check_count": ("CRED-LIST-006",),
    "check_return_timeout": ("CRED-LIST-009",), "check_secret_query": ("CRED-GET-003",),
    "send": ("CRED-ERR-001",),
}


def recorded_key(value: Any) -> tuple[str, str]:
    """A record key as a recording keeps it (a JSON list), as the driver takes it."""
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
        return model.update(*recorded_key(args["key"]), args["body"], args.get("params"))
    if op == "delete":
        return model.delete(*recorded_key(args["key"]))
    if op == "get":
        return model.get(*recorded_key(args["key"]))
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
