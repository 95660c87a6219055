"""Known deviations: a reviewed TOML file of rule breaks a target is allowed to have, for now.

An entry names a rule, the targets and releases it covers, the HTTP status and ONTAP
error code of the response that breaks the rule, why, who owns it and when it expires::

    [[deviation]]
    rule = "CRED-CHAP-004"
    targets = ["emulator"]          # "emulator", "live", or a target URL
    releases = ["9.10.1"]           # "X.Y.Z", ">=X.Y.Z" or "*"
    status = [200, 201]             # the HTTP status(es) of the deviating responses
    code = "none"                   # their ONTAP error code ("none": the body carries none)
    reason = "odd-length hex secrets are accepted (issue 7)"
    owner = "emulator team"
    expires = 2027-03-31

Each entry ends a run in one state:

``known``
    the rule broke in this run, only ever with a listed status and code (of this entry or
    of another entry for the rule): the break is reported as ``known`` and does not make
    the verdict nonconformant.
``stale``
    the rule was judged but no longer breaks this way: remove the entry (does not fail).
``expired``
    the expiry date has passed: the entry excuses nothing and fails the run.
``unmatched``
    no such rule in the catalog, or the rule does not apply to the release judged
    against: fails the run.
``drift``
    the rule broke, but (also) with another status or code than any entry lists: the
    break is not excused and the run fails.
``not_covered``
    the entry is for other targets or releases: ignored (listed in the report).
``not_judged``
    the rule was not judged in this run (not exercised or not applicable here): nothing
    to compare; does not fail the run.

A run with an expired, unmatched or drifting entry is ``nonconformant`` whatever the
target did, with a reason naming the entries: the reviewed file needs attention before
the run can certify anything.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.judging.ledger import DEVIATED, FAILED, NONCONFORMANT, PASSED, Ledger
from models.releases import Release, ReleaseError, parse_release, release_text
from models.rules import BY_ID

KNOWN, STALE, EXPIRED, UNMATCHED, DRIFT = "known", "stale", "expired", "unmatched", "drift"
NOT_COVERED, NOT_JUDGED = "not_covered", "not_judged"
STATES = (KNOWN, STALE, EXPIRED, UNMATCHED, DRIFT, NOT_COVERED, NOT_JUDGED)
#: States that fail the run.
FAILING = (EXPIRED, UNMATCHED, DRIFT)
NO_CODE = "none"
TARGET_KINDS = ("emulator", "live")
_KEYS = ("rule", "targets", "releases", "status", "code", "reason", "owner", "expires")


class DeviationFileError(ValueError):
    """The known-deviations file cannot be used; the message says where and how to fix it."""


@dataclass(frozen=True)
class Entry:
    """One entry of the known-deviations file."""

    index: int  # 1-based position in the file
    rule: str
    targets: tuple[str, ...]
    releases: tuple[str, ...]
    statuses: tuple[int, ...]
    code: str | None  # None: the deviating response carries no ONTAP error code
    reason: str
    owner: str
    expires: dt.date

    @property
    def outcomes(self) -> frozenset[tuple[int, str | None]]:
        """The (HTTP status, ONTAP code) pairs the entry expects of a deviating response."""
        return frozenset((status, self.code) for status in self.statuses)

    def outcomes_text(self) -> str:
        return " or ".join(outcome_text(o) for o in sorted(self.outcomes, key=_outcome_key))

    def covers_target(self, kind: str, url: str | None) -> bool:
        """Whether the entry is for this target (its kind, or its URL)."""
        return any(t == kind or (url is not None and t not in TARGET_KINDS
                                 and _same_url(t, url)) for t in self.targets)

    def covers_release(self, release: Release) -> bool:
        """Whether the entry is for the release judged against."""
        for spec in self.releases:
            if spec == "*":
                return True
            if spec.startswith(">="):
                if release >= parse_release(spec[2:].strip()):
                    return True
            elif parse_release(spec) == release:
                return True
        return False

    def as_dict(self) -> dict[str, Any]:
        """The entry as the reports show it."""
        return {"rule": self.rule, "targets": list(self.targets), "releases": list(self.releases),
                "status": list(self.statuses), "code": self.code if self.code is not None else NO_CODE,
                "reason": self.reason, "owner": self.owner, "expires": self.expires.isoformat()}


@dataclass
class Judgement:
    """What one entry came to in this run."""

    entry: Entry
    state: str
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {**self.entry.as_dict(), "state": self.state, "detail": self.detail}


@dataclass
class Outcome:
    """The known deviations of a run: each entry's state and the rules they excuse."""

    judgements: list[Judgement] = field(default_factory=list)
    known_rules: frozenset[str] = frozenset()

    @property
    def problems(self) -> list[Judgement]:
        """Entries whose state fails the run."""
        return [j for j in self.judgements if j.state in FAILING]

    def counts(self) -> dict[str, int]:
        return {state: sum(1 for j in self.judgements if j.state == state)
                for state in STATES if any(j.state == state for j in self.judgements)}

    def problem_reason(self) -> str:
        """One line naming the entries that fail the run."""
        parts = []
        for state in FAILING:
            found = [j for j in self.problems if j.state == state]
            if found:
                names = ", ".join(f"{j.entry.rule} (entry {j.entry.index})" for j in found)
                parts.append(f"{len(found)} {state} ({names})")
        return "known-deviations file needs review: " + "; ".join(parts)


# -- reading ----------------------------------------------------------------------------------
def load(path: Path) -> list[Entry]:
    """Read and validate a known-deviations file.

    Raises:
        DeviationFileError: unreadable, not TOML, unknown or missing keys, bad values.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DeviationFileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DeviationFileError(f"{path}: cannot be read ({exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DeviationFileError(f"{path}: not valid TOML ({exc})") from None
    return parse(data, str(path))


def parse(data: dict[str, Any], where: str = "known deviations") -> list[Entry]:
    """Validate the TOML document of a known-deviations file (split out for tests)."""
    unknown = sorted(set(data) - {"deviation"})
    if unknown:
        raise DeviationFileError(f"{where}: unknown top-level key(s) {', '.join(unknown)}; "
                                 "the file holds only [[deviation]] entries")
    raw = data.get("deviation", [])
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise DeviationFileError(f"{where}: 'deviation' must be an array of tables ([[deviation]])")
    entries = [_entry(item, index, where) for index, item in enumerate(raw, start=1)]
    seen: dict[tuple[Any, ...], int] = {}
    for entry in entries:
        for outcome in entry.outcomes:
            key = (entry.rule, outcome, entry.targets, entry.releases)
            if key in seen:
                raise DeviationFileError(f"{where}: entry {entry.index} repeats entry {seen[key]} "
                                         f"({entry.rule}, {outcome_text(outcome)}); keep one")
            seen[key] = entry.index
    return entries


def _entry(item: dict[str, Any], index: int, where: str) -> Entry:
    here = f"{where}: entry {index}" + (f" ({item['rule']})" if isinstance(item.get("rule"), str) else "")
    unknown = sorted(set(item) - set(_KEYS))
    if unknown:
        raise DeviationFileError(f"{here}: unknown key(s) {', '.join(unknown)}; "
                                 f"allowed: {', '.join(_KEYS)}")
    missing = [key for key in _KEYS if key not in item]
    if missing:
        raise DeviationFileError(f"{here}: missing key(s) {', '.join(missing)}")
    rule = _text(item["rule"], here, "rule")
    targets = _list_of_text(item["targets"], here, "targets")
    for target in targets:
        if target not in TARGET_KINDS and not target.startswith(("http://", "https://")):
            raise DeviationFileError(f"{here}: targets: {target!r} is neither 'emulator', 'live' "
                                     "nor an http(s) URL")
    releases = _list_of_text(item["releases"], here, "releases")
    for spec in releases:
        if spec == "*":
            continue
        try:
            parse_release(spec[2:].strip() if spec.startswith(">=") else spec)
        except ReleaseError as exc:
            raise DeviationFileError(f"{here}: releases: {spec!r}: {exc} "
                                     "(use 'X.Y.Z', '>=X.Y.Z' or '*')") from None
    statuses = item["status"] if isinstance(item["status"], list) else [item["status"]]
    if not statuses or any(isinstance(s, bool) or not isinstance(s, int) or not 100 <= s <= 599
                           for s in statuses):
        raise DeviationFileError(f"{here}: status must be an HTTP status (100-599) or a list of them, "
                                 f"got {item['status']!r}")
    code = item["code"]
    if isinstance(code, int) and not isinstance(code, bool):
        code = str(code)
    if not isinstance(code, str) or not (code == NO_CODE or code.isdigit()):
        raise DeviationFileError(f"{here}: code must be an ONTAP error code (digits) or "
                                 f"\"{NO_CODE}\", got {item['code']!r}")
    expires = item["expires"]
    if isinstance(expires, str):
        try:
            expires = dt.date.fromisoformat(expires)
        except ValueError:
            raise DeviationFileError(f"{here}: expires must be a date (YYYY-MM-DD), "
                                     f"got {item['expires']!r}") from None
    if isinstance(expires, dt.datetime) or not isinstance(expires, dt.date):
        raise DeviationFileError(f"{here}: expires must be a date (YYYY-MM-DD), got {item['expires']!r}")
    return Entry(index=index, rule=rule, targets=targets, releases=releases,
                 statuses=tuple(dict.fromkeys(statuses)),
                 code=None if code == NO_CODE else code, reason=_text(item["reason"], here, "reason"),
                 owner=_text(item["owner"], here, "owner"), expires=expires)


def _text(value: Any, here: str, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DeviationFileError(f"{here}: {key} must be a non-empty string, got {value!r}")
    return value.strip()


def _list_of_text(value: Any, here: str, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise DeviationFileError(f"{here}: {key} must be a non-empty list of strings, got {value!r}")
    return tuple(_text(v, here, key) for v in value)


def _same_url(a: str, b: str) -> bool:
    return a.rstrip("/").lower() == b.rstrip("/").lower()


# -- judging ----------------------------------------------------------------------------------
def judge(entries: Iterable[Entry], ledger: Ledger, kind: str, url: str | None,
          today: dt.date | None = None) -> Outcome:
    """Give every entry its state for this run and find the rules the entries excuse.

    A failed or deviated rule is excused (``known``) when the run recorded how it broke and
    every (status, code) it broke with is listed by an unexpired entry for this target and
    release.
    """
    today = today or dt.datetime.now(dt.UTC).date()
    release = ledger.release
    entries = list(entries)
    active: dict[str, list[Entry]] = {}
    judgements: dict[int, Judgement] = {}
    for entry in entries:
        rule = BY_ID.get(entry.rule)
        if rule is None:
            judgements[entry.index] = Judgement(entry, UNMATCHED, f"no rule {entry.rule} in the "
                                                "catalog (python -m models lists them)")
        elif entry.expires < today:
            judgements[entry.index] = Judgement(entry, EXPIRED, f"expired on {entry.expires.isoformat()}; "
                                                "review it: renew the date or fix the target")
        elif not (entry.covers_target(kind, url) and entry.covers_release(release)):
            judgements[entry.index] = Judgement(entry, NOT_COVERED, "for other targets or releases "
                                                f"(this run: {kind}, ONTAP {release_text(release)})")
        elif not rule.applies_to(release):
            judgements[entry.index] = Judgement(entry, UNMATCHED, f"{entry.rule} applies from ONTAP "
                                                f"{rule.since}, not to ONTAP {release_text(release)}")
        else:
            active.setdefault(entry.rule, []).append(entry)
    known: set[str] = set()
    for rule_id, listed in active.items():
        status = ledger.rule_status(rule_id)
        seen = set(ledger.broken_by.get(rule_id, ()))
        expected = set().union(*(entry.outcomes for entry in listed))
        unlisted = sorted(seen - expected, key=_outcome_key)
        if status in (FAILED, DEVIATED) and seen and not unlisted:
            known.add(rule_id)
        for entry in listed:
            judgements[entry.index] = _state(entry, status, seen, unlisted, ledger.judged(rule_id))
    return Outcome([judgements[e.index] for e in entries], frozenset(known))


def _state(entry: Entry, status: str, seen: set[tuple[int, str | None]],
           unlisted: list[tuple[int, str | None]], judged: int) -> Judgement:
    if status in (FAILED, DEVIATED):
        if unlisted or not seen:
            got = ", ".join(outcome_text(o) for o in unlisted) or "(how was not recorded)"
            return Judgement(entry, DRIFT, f"{entry.rule} {status}, with {got}; the entry lists "
                                           f"{entry.outcomes_text()}")
        matched = sorted(entry.outcomes & seen, key=_outcome_key)
        if matched:
            return Judgement(entry, KNOWN, f"{entry.rule} {status} with "
                                           f"{' and '.join(outcome_text(o) for o in matched)}, as listed")
        return Judgement(entry, STALE, f"{entry.rule} no longer breaks with {entry.outcomes_text()} "
                                       "(other entries cover how it broke); remove this entry")
    if status == PASSED:
        return Judgement(entry, STALE, f"{entry.rule} held in all {judged} judged responses; "
                                       "remove this entry")
    return Judgement(entry, NOT_JUDGED, f"{entry.rule} was not judged in this run ({status.replace('_', ' ')})")


def outcome_text(outcome: tuple[int, str | None]) -> str:
    """``201 (no ONTAP code)`` or ``400 code 5373971``."""
    status, code = outcome
    return f"{status} code {code}" if code is not None else f"{status} (no ONTAP code)"


def _outcome_key(outcome: tuple[int, str | None]) -> tuple[int, str]:
    return outcome[0], outcome[1] or ""


def apply(document: dict[str, Any], outcome: Outcome, path: Path | None) -> None:
    """Put the entries' states into ``conformance.json`` and fail the run on a file problem.

    The rule matrix already says ``known`` for excused rules (the ledger got them); this adds
    each entry's reason, owner and expiry to its rule, lists every entry, and turns the
    verdict nonconformant when an entry is expired, unmatched or drifting.
    """
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for j in outcome.judgements:
        if j.state == KNOWN:
            by_rule.setdefault(j.entry.rule, []).append(
                {"reason": j.entry.reason, "owner": j.entry.owner, "expires": j.entry.expires.isoformat(),
                 "status": list(j.entry.statuses), "code": j.entry.code or NO_CODE})
    for rule in document["rules"]:
        if rule["id"] in by_rule:
            rule["known_deviation"] = by_rule[rule["id"]]
            first = by_rule[rule["id"]][0]
            rule["reason"] = (f"known deviation: {first['reason']} (owner {first['owner']}, expires "
                              f"{first['expires']}); judged: {rule['reason']}")
    document["known_deviations"] = {
        "file": str(path) if path is not None else None,
        "counts": outcome.counts(),
        "entries": [j.as_dict() for j in outcome.judgements],
    }
    if outcome.problems:
        document["verdict_reason"] = (f"{outcome.problem_reason()}; the target itself: "
                                      f"{document['verdict']} ({document['verdict_reason']})")
        document["verdict"] = NONCONFORMANT


__all__ = ["DRIFT", "EXPIRED", "FAILING", "KNOWN", "NOT_COVERED", "NOT_JUDGED", "STALE", "STATES",
           "UNMATCHED", "DeviationFileError", "Entry", "Judgement", "Outcome", "apply", "judge",
           "load", "outcome_text", "parse"]
