"""Run history (``--history DIR``) and the report's Trend section.

Each run appends one JSON line to ``DIR/history.jsonl``: run id, date, target, release,
verdict, every rule's status, coverage, the exploration figures when the report has them,
and the duration. The file is only ever appended to; a line that cannot be read (a crash
mid-write, a hand edit) is skipped with a warning, never fatal.

The trend compares the run with the earlier runs *of the same target* (every embedded
emulator run is one target; a live target is its URL): verdict and coverage over the last
:data:`TREND_RUNS` runs as an inline SVG chart, a strip of each rule's last statuses, the
rules that fail now but held (or were not judged) in the previous run (new failures),
those that broke before and pass now (fixed), and those that switched between holding and
breaking at least :data:`FLAKY_SWITCHES` times (flaky).
"""

from __future__ import annotations

import html
import itertools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.judging.ledger import (
    CONFORMANT,
    DEVIATED,
    FAILED,
    INCONCLUSIVE,
    KNOWN,
    NONCONFORMANT,
    NOT_APPLICABLE,
    PASSED,
)
from conformance.wire.redaction import REDACTOR
from models.rules import BY_ID, RULES

FILE_NAME = "history.jsonl"
FORMAT = "ontap-iscsi-conformance history/1"
TREND_RUNS = 20
FLAKY_SWITCHES = 2
JUDGED = (PASSED, FAILED, DEVIATED, KNOWN)
#: Statuses of a rule the target broke (whether or not the run excused or failed it).
BROKE = (FAILED, DEVIATED, KNOWN)
MAX_EXPLORATION_CHARS = 20_000


@dataclass
class History:
    """The readable runs of a history file, oldest first, and what could not be read."""

    path: Path
    runs: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# -- one line per run --------------------------------------------------------------------------
def entry(document: dict[str, Any], run_id: str, duration: float,
          emulator_defects: tuple[str, ...] = (), label: str | None = None) -> dict[str, Any]:
    """The history line of a finished run, from its ``conformance.json`` document."""
    return {
        "format": FORMAT,
        "run_id": run_id,
        "date": document["run"]["started"],
        "finished": document["run"]["finished"],
        "duration_seconds": round(duration, 1),
        "target": dict(document["target"]),
        "release": document.get("release"),
        "profile": document["run"]["profile"],
        "verdict": document["verdict"],
        "label": label or document["verdict"],
        "rules": {r["id"]: r["status"] for r in document["rules"]},
        "coverage": coverage(document),
        "requests": document["run"]["requests"],
        "programs": document["run"].get("programs"),
        "time_budget": document["run"].get("time_budget"),
        "exploration": _exploration(document.get("exploration")),
        "emulator_defects": list(emulator_defects),
        "known_deviations": (document.get("known_deviations") or {}).get("counts", {}),
    }


def coverage(document: dict[str, Any]) -> dict[str, Any]:
    """How much of what applies the run judged: documented rules and documented codes."""
    applicable = [r for r in document["rules"] if r["basis"] == "documented" and r["status"] != NOT_APPLICABLE]
    judged = [r for r in applicable if r["status"] in JUDGED]
    required = [c for c in document["error_codes"] if c["required"]]
    produced = [c for c in required if c["produced"]]
    return {"rules_judged": len(judged), "rules_applicable": len(applicable),
            "codes_produced": len(produced), "codes_required": len(required),
            "rules_percent": _percent(len(judged), len(applicable)),
            "codes_percent": _percent(len(produced), len(required))}


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 100.0


def _exploration(value: Any) -> Any:
    """The report's exploration figures, redacted; only its plain top-level values when large."""
    if value is None:
        return None
    value = REDACTOR.redact_json(value)
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return None
    if len(text) <= MAX_EXPLORATION_CHARS or not isinstance(value, dict):
        return value if len(text) <= MAX_EXPLORATION_CHARS else None
    return {k: v for k, v in value.items() if isinstance(v, int | float | str | bool) or v is None}


def append(directory: Path, line: dict[str, Any]) -> Path:
    """Append one run to ``directory/history.jsonl`` (created when missing)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / FILE_NAME
    data = json.dumps(line, ensure_ascii=False, sort_keys=True).encode("utf-8") + b"\n"
    if path.exists() and path.stat().st_size:
        with path.open("rb") as handle:
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) != b"\n":
                data = b"\n" + data  # a torn last line stays one (skipped) line of its own
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    return path


def read(directory: Path) -> History:
    """Read every readable run of ``directory/history.jsonl`` (a missing file: no runs)."""
    history = History(directory / FILE_NAME)
    try:
        raw = history.path.read_bytes()
    except FileNotFoundError:
        return history
    except OSError as exc:
        history.warnings.append(f"{history.path}: cannot be read ({exc}); the trend starts afresh")
        return history
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        problem = ""
        try:
            run = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            problem = f"not JSON ({exc.__class__.__name__})"
        else:
            if not isinstance(run, dict) or run.get("format") != FORMAT:
                problem = "not a run of this suite"
            elif not isinstance(run.get("rules"), dict) or not isinstance(run.get("verdict"), str) \
                    or not isinstance(run.get("target"), dict):
                problem = "a run without verdict, target or rules"
        if problem:
            history.warnings.append(f"{history.path}: line {number} skipped: {problem}")
            continue
        history.runs.append(run)
    return history


# -- the trend ---------------------------------------------------------------------------------
def target_key(target: dict[str, Any]) -> tuple[str, str]:
    """Which runs compare: every embedded-emulator run, or the runs against one URL."""
    kind = str(target.get("kind") or "")
    return (kind, "") if kind == "emulator" else (kind, str(target.get("url") or "").rstrip("/").lower())


def trend(runs: list[dict[str, Any]], current: dict[str, Any], limit: int = TREND_RUNS) -> dict[str, Any]:
    """The trend of ``current`` over the earlier runs of its target (``runs`` may include it)."""
    key = target_key(current["target"])
    earlier = [r for r in runs if target_key(r["target"]) == key and r.get("run_id") != current["run_id"]]
    window = [*earlier, current][-limit:]
    previous = earlier[-1] if earlier else None
    now = current["rules"]
    before = previous["rules"] if previous else {}
    new_failures = [rid for rid, status in now.items() if status == FAILED and before.get(rid) not in BROKE]
    fixed = [rid for rid, status in now.items() if status == PASSED and before.get(rid) in BROKE]
    strip = {rule.id: [r["rules"].get(rule.id) for r in window] for rule in RULES}
    flaky = []
    for rule_id, statuses in strip.items():
        switches = _switches(statuses)
        if switches >= FLAKY_SWITCHES:
            flaky.append({"rule": rule_id, "switches": switches, "runs": len(window)})
    return {
        "runs": [_run_summary(r) for r in window],
        "previous_run": previous.get("run_id") if previous else None,
        "new_failures": new_failures,
        "fixed": fixed,
        "flaky": flaky,
        "strip": strip,
    }


def _switches(statuses: list[str | None]) -> int:
    """How often the target switched between holding and breaking the rule (runs that did
    not judge it are skipped; failed, deviated and known all count as broken)."""
    judged = [s in BROKE for s in statuses if s in JUDGED]
    return sum(1 for a, b in itertools.pairwise(judged) if a != b)


def _run_summary(run: dict[str, Any]) -> dict[str, Any]:
    return {k: run.get(k) for k in ("run_id", "date", "verdict", "label", "coverage", "duration_seconds",
                                    "requests", "programs", "emulator_defects", "exploration", "release")}


def new_failures_since_last(history: History, current: dict[str, Any]) -> list[str]:
    """Rules that fail in ``current`` and did not in the last earlier run of its target."""
    return trend(history.runs, current)["new_failures"]


# -- HTML --------------------------------------------------------------------------------------
_COLOURS = {CONFORMANT: "#28a745", NONCONFORMANT: "#dc3545", INCONCLUSIVE: "#e0a800"}
_STATUS_COLOURS = {PASSED: "#28a745", FAILED: "#dc3545", DEVIATED: "#fd7e14", KNOWN: "#6f42c1",
                   NOT_APPLICABLE: "#d0d0d0", "not_exercised": "#f0f0f0", None: "#ffffff"}
TREND_STYLE = """<style>
.cf-strip span{display:inline-block;width:12px;height:12px;margin-right:1px;border:1px solid #bbb}
table.cf-trend td,table.cf-trend th{border:1px solid #ccc;padding:1px 6px;font-size:.9em}
table.cf-trend{border-collapse:collapse}
</style>"""


def html_section(data: dict[str, Any], warnings: list[str] | None = None) -> str:
    """The report's Trend section (self-contained: inline SVG and CSS, no script)."""
    e = _escape
    runs = data["runs"]
    parts = [TREND_STYLE, f'<h2 id="trend">Trend (last {len(runs)} run{"s" if len(runs) != 1 else ""} '
                          "of this target)</h2>"]
    if warnings:
        parts.append("<p><b>History:</b> " + "; ".join(e(w) for w in warnings) + "</p>")
    parts.append(_chart(runs))
    parts.append(_duration_chart(runs))
    parts.append(_rule_list("New failures", "cf-new-failures", data["new_failures"],
                            "since the previous run" if data["previous_run"] else "(no earlier run: every failure is new)"))
    parts.append(_rule_list("Fixed", "cf-fixed", data["fixed"], "failed or deviated in the previous run, passed now"))
    flaky = "".join(f"<li>{_catalog(f['rule'])}: {f['switches']} status switches in {f['runs']} runs "
                    f"({_catalog(BY_ID[f['rule']].title) if f['rule'] in BY_ID else ''})</li>"
                    for f in data["flaky"])
    parts.append(f'<h3>Flaky</h3><ul id="cf-flaky">{flaky}</ul>' if flaky else
                 f'<h3>Flaky</h3><p id="cf-flaky">No rule switched status {FLAKY_SWITCHES} times or more.</p>')
    rows = "".join(
        f"<tr><td>{i}</td><td>{_catalog(r['date'])}</td><td>{_catalog(r['run_id'])}</td>"
        f"<td style=\"color:{_COLOURS.get(r['verdict'], '#000')}\">{_catalog(r.get('label') or r['verdict'])}</td>"
        f"<td>{_coverage_text(r.get('coverage'))}</td><td>{e(r.get('requests'))}</td>"
        f"<td>{e(r.get('programs') if r.get('programs') is not None else '')}</td>"
        f"<td>{e(_seconds(r.get('duration_seconds')))}</td>"
        f"<td>{e(', '.join(r.get('emulator_defects') or []))}</td>"
        f"<td>{e(_exploration_text(r.get('exploration')))}</td></tr>"
        for i, r in enumerate(runs, start=1))
    parts.append('<h3>Runs</h3><table class="cf-trend"><tr><th>#</th><th>Started</th><th>Run</th>'
                 "<th>Verdict</th><th>Coverage (rules, codes)</th><th>Requests</th><th>Programs</th>"
                 "<th>Run time</th><th>Emulator defects</th><th>Exploration</th></tr>" + rows + "</table>")
    strip_rows = "".join(
        f'<tr><td>{_catalog(rule_id)}</td><td class="cf-strip">'
        + "".join(f'<span style="background:{_STATUS_COLOURS.get(s, "#fff")}" '
                  f'title="run {i}: {_catalog((s or "no record").replace("_", " "))}"></span>'
                  for i, s in enumerate(statuses, start=1))
        + f"</td><td>{_catalog((statuses[-1] or '').replace('_', ' '))}</td></tr>"
        for rule_id, statuses in data["strip"].items())
    legend = " ".join(f'<span style="background:{colour}"></span> {status.replace("_", " ")}'
                      for status, colour in _STATUS_COLOURS.items() if status is not None)
    parts.append(f'<h3>Rules, run by run (oldest left)</h3><p class="cf-strip">{legend}</p>'
                 f'<table class="cf-trend" id="cf-rule-strip"><tr><th>Rule</th><th>Last {len(runs)} runs</th>'
                 f"<th>Now</th></tr>{strip_rows}</table>")
    return "".join(parts)


def _rule_list(title: str, element_id: str, rule_ids: list[str], note: str) -> str:
    if not rule_ids:
        return f'<h3>{title}</h3><p id="{element_id}">None {html.escape(note)}.</p>'
    items = "".join(f"<li>{_catalog(rid)}: {_catalog(BY_ID[rid].title if rid in BY_ID else '')}</li>"
                    for rid in rule_ids)
    return f'<h3>{title}</h3><p>{html.escape(note)}</p><ul id="{element_id}">{items}</ul>'


def _chart(runs: list[dict[str, Any]]) -> str:
    """Verdict (coloured markers) and coverage (two lines) per run, as inline SVG."""
    step, left, top, height = 36, 44, 12, 120
    width = left + step * max(len(runs), 2) + 20
    bottom = top + height

    def y(percent: float) -> float:
        return bottom - height * max(0.0, min(percent, 100.0)) / 100.0

    svg = [f'<svg id="cf-trend-chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
           f'height="{bottom + 40}" role="img" aria-label="verdict and coverage per run">']
    for percent in (0, 50, 100):
        svg.append(f'<line x1="{left}" y1="{y(percent)}" x2="{width - 10}" y2="{y(percent)}" stroke="#ddd"/>'
                   f'<text x="{left - 6}" y="{y(percent) + 4}" font-size="10" text-anchor="end">{percent}%</text>')
    for key, colour, dash in (("rules_percent", "#1f6feb", ""), ("codes_percent", "#8250df", ' stroke-dasharray="4 3"')):
        points = " ".join(f"{left + step * i + step / 2:.0f},{y((r.get('coverage') or {}).get(key, 0.0)):.1f}"
                          for i, r in enumerate(runs))
        svg.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash} points="{points}"/>')
    for i, r in enumerate(runs):
        x = left + step * i + step / 2
        cov = r.get("coverage") or {}
        tip = (f"run {i + 1} ({r.get('date')}): {r.get('label') or r['verdict']}; rules judged "
               f"{cov.get('rules_percent', '?')}%, codes produced {cov.get('codes_percent', '?')}%")
        svg.append(f'<circle cx="{x:.0f}" cy="{bottom + 14}" r="7" fill="{_COLOURS.get(r["verdict"], "#888")}">'
                   f"<title>{_catalog(tip)}</title></circle>"
                   f'<text x="{x:.0f}" y="{bottom + 34}" font-size="10" text-anchor="middle">{i + 1}</text>')
    svg.append("</svg>")
    legend = ('<p style="font-size:.85em">Dots: verdict (green conformant, red nonconformant, amber '
              "inconclusive). Lines: documented rules judged (solid) and documented error codes "
              "produced (dashed), in % of those that apply.</p>")
    return "".join(svg) + legend


def _duration_chart(runs: list[dict[str, Any]]) -> str:
    durations = [float(r.get("duration_seconds") or 0.0) for r in runs]
    longest = max(durations, default=0.0) or 1.0
    step, left, height = 36, 44, 60
    width = left + step * max(len(runs), 2) + 20
    svg = [f'<svg id="cf-duration-chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
           f'height="{height + 20}" role="img" aria-label="run time per run">'
           f'<text x="{left - 6}" y="12" font-size="10" text-anchor="end">{longest:.0f} s</text>']
    for i, seconds in enumerate(durations):
        bar = height * seconds / longest
        x = left + step * i + 8
        svg.append(f'<rect x="{x}" y="{height - bar + 4:.1f}" width="{step - 16}" height="{bar:.1f}" fill="#6c757d">'
                   f"<title>run {i + 1}: {seconds:.1f} s</title></rect>")
    svg.append("</svg>")
    return "<h3>Run time</h3>" + "".join(svg)


def _coverage_text(cov: dict[str, Any] | None) -> str:
    if not cov:
        return ""
    return (f"{cov.get('rules_judged')}/{cov.get('rules_applicable')} rules, "
            f"{cov.get('codes_produced')}/{cov.get('codes_required')} codes")


def _exploration_text(value: Any) -> str:
    if not isinstance(value, dict):
        return ""
    plain = [f"{k} {v}" for k, v in value.items() if isinstance(v, int | float) and not isinstance(v, bool)]
    return ", ".join(plain[:6])


def _seconds(value: Any) -> str:
    return "" if value is None else f"{float(value):.1f} s"


def _escape(value: Any) -> str:
    return html.escape(REDACTOR.redact_text("" if value is None else str(value)))


def _catalog(value: Any) -> str:
    return html.escape("" if value is None else str(value))


__all__ = ["FILE_NAME", "FLAKY_SWITCHES", "FORMAT", "TREND_RUNS", "History", "append", "coverage", "entry",
           "html_section", "new_failures_since_last", "read", "target_key", "trend"]
