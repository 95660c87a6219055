"""How deep the state machine went: one collector that sees every step of every program.

The machine tells it when a program starts and ends and after each step (with the keys
of the run's records then alive); the machine's :class:`~conformance.judging.driver.Driver` tells
it what each judged write did and how many pages a followed collection spanned. Nothing
else counts, so the figures describe the machine's own programs, not the example tests.

The report (``conformance.json`` key ``exploration`` and a block of the HTML report) says
whether the run reached the kind of state where sequence-only bugs live: many records at
once, records deleted and created again, one initiator on two SVMs, long histories of one
record, collections spanning several pages, and changes of the default credential.
"""

from __future__ import annotations

import html
from collections import Counter
from typing import Any

from models.outcomes import Outcome
from models.records import DEFAULT_INITIATOR

Key = tuple[str, str]
MANY_PAGES = 3  # a collection read "across many pages" spans at least this many


class _Program:
    """What one program (Hypothesis example) has done so far."""

    def __init__(self) -> None:
        self.most_alive = 0
        self.most_alive_on_one_svm = 0
        self.deleted: set[Key] = set()
        self.recreated: set[Key] = set()
        self.patches: Counter[Key] = Counter()  # accepted PATCHes of each record since its creation
        self.patched_twice: set[tuple[Key, int]] = set()  # (key, incarnation)
        self.incarnation: Counter[Key] = Counter()
        self.twins: set[str] = set()  # initiators alive on two SVMs at once


class Exploration:
    """Counts what the state machine reached, program by program and over the run."""

    def __init__(self) -> None:
        self.programs = 0
        self.programs_per_stream: Counter[str] = Counter()  # by state-machine stream (xdist worker)
        self.steps = 0
        self.alive_per_program: list[int] = []
        self.alive_on_one_svm_per_program: list[int] = []
        self.writes: Counter[str] = Counter()  # accepted | refused | undecided
        self.delete_recreate = 0
        self.initiators_on_two_svms = 0
        self.records_patched_twice = 0
        self.paged_reads = 0
        self.paged_reads_many = 0
        self.most_pages = 0
        self.default_changes = 0
        self._current: _Program | None = None

    # ---- what the machine tells -------------------------------------------------------------
    def program_started(self, stream: int = 0) -> None:
        """A new program (the target was just reset) of the run's ``stream``-th state machine."""
        self.program_finished()
        self.programs += 1
        self.programs_per_stream[str(stream)] += 1
        self._current = _Program()

    def step(self, alive: list[Key] | set[Key]) -> None:
        """One step of the machine ran; ``alive`` are the keys of the run's records now."""
        program = self._program()
        self.steps += 1
        per_svm = Counter(svm for svm, _ in alive)
        program.most_alive = max(program.most_alive, len(alive))
        program.most_alive_on_one_svm = max(program.most_alive_on_one_svm, max(per_svm.values(), default=0))
        svms_of: dict[str, set[str]] = {}
        for svm, initiator in alive:
            svms_of.setdefault(initiator, set()).add(svm)
        program.twins |= {name for name, svms in svms_of.items() if len(svms) > 1}

    def program_finished(self) -> None:
        """Fold the current program into the run's totals (idempotent)."""
        program, self._current = self._current, None
        if program is None:
            return
        self.alive_per_program.append(program.most_alive)
        self.alive_on_one_svm_per_program.append(program.most_alive_on_one_svm)
        self.delete_recreate += len(program.recreated)
        self.initiators_on_two_svms += len(program.twins)
        self.records_patched_twice += len(program.patched_twice)

    # ---- what the driver tells --------------------------------------------------------------
    def observe(self, operation: str, key: Key | None, outcome: Outcome | None, *, pages: int = 0) -> None:
        """A judged call of the machine's driver: a write and its outcome, or a page chain."""
        program = self._program()
        if operation == "list":
            self.paged_reads += 1
            self.most_pages = max(self.most_pages, pages)
            self.paged_reads_many += pages >= MANY_PAGES
            return
        self.writes["undecided" if outcome is None else "accepted" if outcome.success else "refused"] += 1
        if outcome is None or not outcome.success or key is None:
            return
        if operation == "create":
            if key in program.deleted:
                program.recreated.add(key)
            program.incarnation[key] += 1
            program.patches[key] = 0
        elif operation == "delete":
            program.deleted.add(key)
        elif operation == "update":
            program.patches[key] += 1
            if program.patches[key] >= 2:
                program.patched_twice.add((key, program.incarnation[key]))
            if key[1] == DEFAULT_INITIATOR:
                self.default_changes += 1

    def absorb(self, other: dict[str, Any]) -> None:
        """Add another process's figures (its :meth:`to_dict`): an xdist worker's, on the
        controller, so that the merged report counts every worker's programs."""
        if not other.get("programs"):
            return
        self.programs += other["programs"]
        self.programs_per_stream.update(other.get("programs_per_stream") or {"0": other["programs"]})
        self.steps += other["steps"]
        self.alive_per_program += other["records_alive_per_program"]
        self.alive_on_one_svm_per_program += other["records_alive_on_one_svm_per_program"]
        self.writes.update({k: other["writes"][k] for k in ("accepted", "refused", "undecided")})
        for name in ("delete_recreate", "initiators_on_two_svms", "records_patched_twice", "paged_reads",
                     "default_changes"):
            setattr(self, name, getattr(self, name) + other[name])
        self.paged_reads_many += other["paged_reads_of_3_or_more_pages"]
        self.most_pages = max(self.most_pages, other["most_pages"])

    def _program(self) -> _Program:
        if self._current is None:  # a step outside a program (a test driving it by hand)
            self.programs += 1
            self.programs_per_stream["0"] += 1
            self._current = _Program()
        return self._current

    # ---- reports ----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The ``exploration`` part of ``conformance.json`` (the current program included)."""
        program = self._current
        alive = self.alive_per_program + ([program.most_alive] if program else [])
        one_svm = self.alive_on_one_svm_per_program + ([program.most_alive_on_one_svm] if program else [])
        decided = self.writes["accepted"] + self.writes["refused"]
        return {
            "programs": self.programs,
            "programs_per_stream": dict(sorted(self.programs_per_stream.items(), key=lambda kv: int(kv[0]))),
            "steps": self.steps,
            "most_records_alive": max(alive, default=0),
            "most_records_alive_on_one_svm": max(one_svm, default=0),
            "records_alive_per_program": alive,
            "records_alive_on_one_svm_per_program": one_svm,
            "writes": {"accepted": self.writes["accepted"], "refused": self.writes["refused"],
                       "undecided": self.writes["undecided"],
                       "accepted_share": round(self.writes["accepted"] / decided, 3) if decided else None},
            "delete_recreate": self.delete_recreate + (len(program.recreated) if program else 0),
            "initiators_on_two_svms": self.initiators_on_two_svms + (len(program.twins) if program else 0),
            "records_patched_twice": self.records_patched_twice
            + (len(program.patched_twice) if program else 0),
            "paged_reads": self.paged_reads,
            "paged_reads_of_3_or_more_pages": self.paged_reads_many,
            "most_pages": self.most_pages,
            "default_changes": self.default_changes,
        }


#: (key, label, what it says) of the HTML table, in order.
ROWS = (
    ("programs", "programs", "random programs run (Hypothesis examples, shrinking included)"),
    ("steps", "steps", "rule steps over all programs"),
    ("most_records_alive", "most records alive at once", "the run's own records, in one program"),
    ("most_records_alive_on_one_svm", "most records alive on one SVM", "limits that bite at the n-th record"),
    ("writes_accepted", "writes accepted / refused", "the machine's POST, PATCH and DELETE"),
    ("delete_recreate", "delete, then create again", "keys deleted and created again in one program"),
    ("initiators_on_two_svms", "one initiator on two SVMs", "initiators alive on two SVMs at once"),
    ("records_patched_twice", "records PATCHed twice or more", "histories of one record"),
    ("paged_reads_of_3_or_more_pages", "collections read across 3+ pages",
     "next links followed as given"),
    ("default_changes", "changes of the default credential", "accepted PATCHes of an SVM's default"),
)


def html_fragment(exploration: dict[str, Any] | None) -> str:
    """The report block: what the state machine reached (empty when it did not run)."""
    if not exploration or not exploration.get("programs"):
        return ""
    writes = exploration["writes"]
    share = writes.get("accepted_share")
    values = {**exploration, "writes_accepted": f"{writes['accepted']} / {writes['refused']}"
              + (f" ({share:.0%} accepted)" if share is not None else "")}
    per_stream = exploration.get("programs_per_stream") or {}
    if len(per_stream) > 1:  # several xdist workers, one stream each
        values["programs"] = f"{exploration['programs']} (" + ", ".join(
            f"stream {k}: {n}" for k, n in per_stream.items()) + ")"
    values["paged_reads_of_3_or_more_pages"] = (f"{exploration['paged_reads_of_3_or_more_pages']} of "
                                                f"{exploration['paged_reads']} (at most "
                                                f"{exploration['most_pages']} pages)")
    rows = "".join(f"<tr><th>{html.escape(label)}</th><td>{html.escape(str(values[key]))}</td>"
                   f"<td>{html.escape(note)}</td></tr>" for key, label, note in ROWS)
    return ("<h2>State-machine exploration</h2><p>How deep the random programs went: bugs that "
            "only a sequence shows need these states to be reached.</p>"
            f'<table class="cf">{rows}</table>')


_CURRENT: Exploration | None = None


def current() -> Exploration:
    """The session's collector (a fresh one when no session installed any)."""
    global _CURRENT
    if _CURRENT is None:
        _CURRENT = Exploration()
    return _CURRENT


def install(exploration: Exploration | None) -> None:
    """Make ``exploration`` the session's collector (the plugin calls this at configure time)."""
    global _CURRENT
    _CURRENT = exploration
