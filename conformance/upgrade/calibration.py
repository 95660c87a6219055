"""The calibration pass of ``--record``: every recorded program replayed once more on the same
target; the fields that differ between the two passes are noise (they change from run to
run, not from release to release), and a later replay's diff sets them aside.
"""

from __future__ import annotations

from typing import Any

from conformance.judging.ledger import Ledger
from conformance.upgrade.differences import differences, noise_keys
from conformance.upgrade.normaliser import normaliser_for
from conformance.upgrade.replay import run_program
from conformance.wire.redaction import REDACTOR

MAX_NOISE_EXAMPLES = 20  # differing steps of the calibration pass kept in the recording, as evidence


def calibrate(programs: list[dict[str, Any]], target: Any, ledger: Ledger) -> dict[str, Any]:
    """Replay every recorded program once more on the same target; what differs is noise.

    The pass judges with a ledger of its own and leaves the run's counts as they were.
    """
    scratch = Ledger()
    scratch.release = target.release
    counts = (ledger.request_count, ledger.retries, ledger.indeterminate)
    normaliser = normaliser_for(target)
    pairs, examples = [], []
    try:
        for number, recorded in enumerate(programs):
            run = run_program(recorded, target, scratch, normaliser)
            for index, (step, again) in enumerate(zip(recorded["steps"], run.recorder.steps, strict=False)):
                pairs.append((step["exchanges"], again.exchanges))
                found = differences(step["exchanges"], again.exchanges)
                if found and len(examples) < MAX_NOISE_EXAMPLES:
                    examples.append({"program": number, "step": index, "fields": [d.as_json() for d in found[:5]]})
            if len(run.recorder.steps) < len(recorded["steps"]):
                pairs.append(([{"request": {}, "status": "(the first pass went on)"}], []))
    except KeyboardInterrupt:
        return {"calibrated": False, "why": "interrupted (Ctrl-C) during the second pass", "fields": []}
    except Exception as exc:  # the recording is still written, marked uncalibrated
        return {"calibrated": False, "why": REDACTOR.redact_text(f"the second pass failed: {type(exc).__name__}: {exc}"),
                "fields": []}
    finally:
        ledger.request_count, ledger.retries, ledger.indeterminate = counts
    fields = noise_keys(pairs)
    return {"calibrated": True, "why": "", "passes": 2, "fields": fields,
            "differing_steps": sum(1 for a, b in pairs if differences(a, b)), "examples": examples}
