"""HTML for upgrade validation: ``upgrade.html`` (two runs side by side) and the replay
section of ``conformance.html``. Self-contained: inline style, no script, no link out."""

from __future__ import annotations

import html
from typing import Any

from conformance.wire.redaction import REDACTOR

_STYLE = """<style>
body{font-family:sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.4em}
.up-verdict{font-size:1.2em;font-weight:bold;padding:.4em .8em;border-radius:4px;display:inline-block}
.up-ok{background:#d4edda;color:#155724}.up-bad{background:#f8d7da;color:#721c24}
table.up{border-collapse:collapse;margin:.5em 0 1em}table.up td,table.up th{border:1px solid #ccc;padding:2px 8px;text-align:left;vertical-align:top}
.up-side{display:flex;gap:2em}.up-side>div{flex:1}
.st-failed{color:#a00;font-weight:bold}.st-passed{color:#070}.st-not_exercised{color:#888}
.st-deviated{color:#b60}.st-not_applicable{color:#888;font-style:italic}
tr.up-changed td{background:#fffbe6}.up-doc{color:#155724}.up-undoc{color:#a00;font-weight:bold}
.up-small{font-size:.85em;color:#555}
</style>"""


def _e(value: Any) -> str:
    return html.escape(REDACTOR.redact_text("" if value is None else str(value)))


def _status(value: Any) -> str:
    text = str(value or "")
    return f'<span class="st-{_e(text)}">{_e(text.replace("_", " "))}</span>'


def _table(head: list[str], rows: list[list[str]], empty: str) -> str:
    if not rows:
        return f"<p>{_e(empty)}</p>"
    cells = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return '<table class="up"><tr>' + "".join(f"<th>{_e(h)}</th>" for h in head) + f"</tr>{cells}</table>"


def _explained(entry: dict[str, Any]) -> str:
    why = entry.get("explained_by")
    if why:
        return f'<span class="up-doc">documented: {_e(why)}</span>'
    if entry.get("allowed") is True:
        return "within the documentation of both releases"
    return '<span class="up-undoc">not documented</span>'


def html_page(diff: dict[str, Any]) -> str:
    """The whole ``upgrade.html`` page."""
    before, after = diff["before"], diff["after"]
    # "Cannot validate" leads the page as prominently as a regression: the same red banner.
    bad = bool(diff["regressions"]) or bool(_cannot(diff)["reasons"])
    sides = "".join(
        f"<div><h2>{label}</h2><table class=\"up\">"
        f"<tr><th>Report</th><td>{_e(side['file'])}</td></tr>"
        f"<tr><th>Target</th><td>{_e(side['target'])} ({_e(side['kind'])})</td></tr>"
        f"<tr><th>ONTAP version</th><td>{_e(side['ontap_version'])}</td></tr>"
        f"<tr><th>Judged against</th><td>ONTAP {_e(side['release'])}</td></tr>"
        f"<tr><th>Verdict</th><td>{_e(side['verdict'])}{'' if side['complete'] is not False else ' (incomplete)'}</td></tr>"
        f"<tr><th>Started</th><td>{_e(side['started'])}</td></tr></table></div>"
        for label, side in (("Before", before), ("After", after)))
    parts = [
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\">",
        f"<title>Upgrade validation: ONTAP {_e(before['release'])} to {_e(after['release'])}</title>",
        _STYLE, "</head><body>",
        f"<h1>Upgrade validation: ONTAP {_e(before['release'])} &rarr; {_e(after['release'])}</h1>",
        f'<p class="up-verdict {"up-bad" if bad else "up-ok"}">{_e(diff["summary"])}</p>',
        *cannot_validate_block(diff),
        f'<div class="up-side">{sides}</div>',
    ]
    if diff["warnings"]:
        parts.append("<h2>Warnings</h2><ul>" + "".join(f"<li>{_e(w)}</li>" for w in diff["warnings"]) + "</ul>")
    parts.append("<h2>Documented changes between the two releases</h2>"
                 "<p class=\"up-small\">From the rule catalog: rules whose applicability or basis differs.</p>"
                 + _table(["Rule", "Title", "Change", "Before (status)", "After (status)"],
                          [[_e(c["rule"]), _e(c["title"]), _e(c["change"]), _status(_row(diff, c["rule"], "before")),
                            _status(_row(diff, c["rule"], "after"))] for c in diff["documented_changes"]],
                          "None: the two releases document the same behaviour for this endpoint."))
    parts.append("<h2>Undocumented regressions</h2>" + _table(
        ["Rule", "Title", "Before", "After", "Why it fails"],
        [[_e(r["rule"]), _e(r["title"]), _status(r["before"]), _status(r["after"]), _e(r.get("reason"))]
         for r in diff["regressions"]], "None: no rule that passed before fails after."))
    for title, key in (("New failures", "new_failures"), ("Fixed", "fixed"), ("Coverage gained", "coverage_gained"),
                       ("Coverage lost", "coverage_lost")):
        parts.append(f"<h2>{title}</h2>" + _table(
            ["Rule", "Title", "Before", "After", "Explained"],
            [[_e(r["rule"]) + (f'<div class="up-small">{_e(r["kind"])}</div>' if r.get("kind") else ""),
              _e(r["title"]), _status(r["before"]), _status(r["after"]), _explained(r)] for r in diff[key]],
            "None."))
    parts.append("<h2>Observed behaviour that changed</h2>" + _table(
        ["What", "Where", "Before", "After", "Explained"],
        [[_e(o["kind"]), _e(o.get("rule") or o.get("code") or _steps(o)),
          _e(o.get("before")), _e(o.get("after")) + (f'<div class="up-small">{_e(o.get("why"))}</div>' if o.get("why") else ""),
          _explained(o)] for o in diff["observed_changes"]], "None."))
    parts += information_blocks(diff)
    rows = "".join(
        f'<tr class="{"up-changed" if r["change"] else ""}"><td>{_e(r["rule"])}</td><td>{_e(r["title"])}</td>'
        f"<td>{_status(r['before']['status'])}</td><td>{_e(r['before']['basis'])}</td><td>{_e(r['before']['checks'])}</td>"
        f"<td>{_status(r['after']['status'])}</td><td>{_e(r['after']['basis'])}</td><td>{_e(r['after']['checks'])}</td>"
        f"<td>{_explained(r) if r['change'] else ''}</td></tr>"
        for r in diff["rules"])
    parts.append("<h2>Every rule, side by side</h2><table class=\"up\"><tr><th rowspan=\"2\">Rule</th>"
                 "<th rowspan=\"2\">Title</th><th colspan=\"3\">Before</th><th colspan=\"3\">After</th>"
                 "<th rowspan=\"2\">Change</th></tr><tr><th>Status</th><th>Basis</th><th>Checks</th>"
                 f"<th>Status</th><th>Basis</th><th>Checks</th></tr>{rows}</table>")
    parts.append("</body></html>\n")
    return "".join(parts)


def information_blocks(diff: dict[str, Any]) -> list[str]:
    """Undocumented properties new or gone, and documentation readings that changed: never a
    regression (later releases add properties; a self-contradicting page allows either reading)."""
    note = '<p class="up-small">Information, never a regression.</p>'
    properties = [[_e("new"), f"<code>{_e(p['path'])}</code>", _e(p.get("example"))] for p in diff.get("new_properties") or []]
    properties += [[_e("gone"), f"<code>{_e(p['path'])}</code>", _e(p.get("example"))]
                   for p in diff.get("properties_gone") or []]
    readings = [[_e(f["id"]), _e(f.get("section")), _e(f.get("title")), _e(f["before"]), _e(f["after"]),
                 _e(f.get("model_reading"))] for f in diff.get("doc_readings_changed") or []]
    return ["<h2>Undocumented properties, new or gone</h2>" + note
            + _table(["", "Property", "Example (the run that saw it)"], properties,
                     "None: both runs saw the same undocumented properties."),
            "<h2>Documentation readings that changed</h2>" + note
            + _table(["Finding", "Section", "Title", "Before", "After", "Model's reading"], readings,
                     "None: where both runs observed a reading, it is the same.")]


def _cannot(diff: dict[str, Any]) -> dict[str, Any]:
    return diff.get("cannot_validate") or {"reasons": [], "rules": []}


def cannot_validate_block(diff: dict[str, Any]) -> list[str]:
    """The "Cannot validate" section: why, and every rule that lost its evidence."""
    cannot = _cannot(diff)
    if not cannot["reasons"]:
        return []
    reasons = "".join(f"<li>{_e(r)}</li>" for r in cannot["reasons"])
    rules = _table(["Rule", "Title", "Before", "After", "Why it was not judged after"],
                   [[_e(r["rule"]), _e(r["title"]), _status(r["before"]), _status(r["after"]), _e(r["reason"])]
                    for r in cannot["rules"]], "No rule lost its evidence; the runs themselves are the reason.")
    return [f'<h2 id="cannot-validate" class="up-undoc">Cannot validate this upgrade</h2>'
            f"<p>The comparison cannot say there is no undocumented regression:</p><ul>{reasons}</ul>"
            f"<h3>Rules that lost their evidence</h3>{rules}"]


def _steps(entry: dict[str, Any]) -> str:
    examples = "; ".join(entry.get("examples") or [f"{entry.get('test')} step {entry.get('step')}"])
    return f"{entry.get('op')}: {entry.get('count', 1)} step(s), e.g. {examples}"


def _row(diff: dict[str, Any], rule_id: str, side: str) -> str:
    row = next((r for r in diff["rules"] if r["rule"] == rule_id), None)
    return row[side]["status"] if row else ""


def replay_blocks(document: dict[str, Any]) -> list[str]:
    """The conformance report's sections for a replay and a baseline comparison."""
    blocks = []
    replay = document.get("replay")
    if replay:
        counts = ", ".join(f"{n} {c}" for c, n in replay["counts"].items())
        rows = [[_e(_steps(c)), _e(c.get("class")) + (" (within the documentation)" if c.get("allowed") else ""),
                 _e(c.get("before")), _e(c.get("after")), _e(c.get("why"))] for c in replay["changes"]]
        calibrated = "calibrated" if replay["noise_calibrated"] else "not calibrated"
        blocks.append(
            f"<h2>Replay of a recording (ONTAP {_e(replay['recorded_release'])} &rarr; {_e(replay['release'])})</h2>"
            f"<p>{_e(replay['programs_replayed'])} of {_e(replay['programs'])} programs replayed, "
            f"{_e(replay['steps'])} steps: {_e(counts)}. Noise {calibrated} "
            f"({_e(len(replay['noise_fields']))} noisy fields). {_e(replay['changes_total'])} changes at their "
            "origin, by kind (replay.json has every step):</p>"
            + _table(["Steps", "Class", "Recorded (example)", "Replayed (example)", "Why"], rows, "None."))
    baseline = document.get("baseline")
    if baseline:
        regressions = baseline.get("undocumented_regressions") or []
        reasons = (baseline.get("cannot_validate") or {}).get("reasons") or []
        blocks.append(f"<h2>Compared with the baseline</h2><p>{_e(baseline['summary'])}</p>"
                      + (f'<p style="color:#a00;font-weight:bold">Cannot validate:</p><ul>{"".join(f"<li>{_e(r)}</li>" for r in reasons)}'
                         "</ul>" if reasons else "")
                      + f"<p>{_e(baseline['file'])}; the full comparison is upgrade.html"
                      + (f"; undocumented regressions: {_e(', '.join(regressions))}" if regressions else "")
                      + "</p>")
    return blocks
