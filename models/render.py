"""Text views of the catalog for ``python -m models``: the rule and finding tables, the JSON
document with every citation resolved, and ``docs/observed-behaviour.md``."""

from __future__ import annotations

from typing import Any

from models.findings import FINDINGS
from models.reference_data import ABBREVIATIONS
from models.references import (
    CERTAINTIES,
    DOC_PAGE,
    DOC_PAGES,
    REFERENCE_FILE,
    REFERENCES,
    cited,
    doc_pages,
    reference,
)
from models.rules import RULES

GENERATE = "python -m models --references > " + REFERENCE_FILE


def citations(source: str) -> dict[str, list[dict[str, str]]]:
    """What a source string cites, each citation resolved to its entry or documentation page
    (a citation that does not resolve raises ``KeyError``)."""
    return {
        "references": [{"id": r.id, "title": r.title, "link": r.link}
                       for r in map(reference, cited(source))],
        "doc_pages": [{"label": p.label, "title": p.title, "url": p.url}
                      for p in (DOC_PAGE[label] for label in doc_pages(source))],
    }


def catalog_document() -> dict[str, Any]:
    """The JSON of ``python -m models --json``: rules, findings, references, doc pages."""
    return {
        "rules": [{**r.as_dict(), "citations": citations(r.source)} for r in RULES],
        "findings": [{**f.as_dict(), "citations": citations(f.why)} for f in FINDINGS],
        "references": [r.as_dict() for r in REFERENCES],
        "doc_pages": [{"label": p.label, "title": p.title, "url": p.url} for p in DOC_PAGES],
    }


def rules_table() -> list[str]:
    """The rule table: ID, basis, code, title, operations, and the source under each."""
    widths = (max(len(r.id) for r in RULES), 10, 7)
    indent = " " * (sum(widths) + 6)
    lines = [f"{'ID':<{widths[0]}}  {'BASIS':<{widths[1]}}  {'CODE':<{widths[2]}}  TITLE / SOURCE"]
    for r in RULES:
        lines.append(f"{r.id:<{widths[0]}}  {r.basis:<{widths[1]}}  {r.error_code or '-':<{widths[2]}}  "
                     f"{r.title}  [{', '.join(r.operations)}]")
        lines.append(f"{indent}{r.source}")
    documented = sum(r.basis == "documented" for r in RULES)
    lines.append(f"\n{len(RULES)} rules: {documented} documented, {len(RULES) - documented} observed")
    return lines


def findings_table() -> list[str]:
    """The findings table: ID, title, section, the model's reading and the rules touched."""
    width = max(len(f.id) for f in FINDINGS)
    indent = " " * (width + 2)
    lines = [f"{'ID':<{width}}  DOCUMENTATION FINDING / SECTION / THE MODEL'S READING"]
    for f in FINDINGS:
        meaning = dict(f.readings)[f.model_reading]
        lines += [f"{f.id:<{width}}  {f.title}",
                  f"{indent}in: {f.section}",
                  f"{indent}model reads: {f.model_reading} ({meaning})",
                  f"{indent}rules: {', '.join(f.rules) or '-'}"]
    lines.append(f"\n{len(FINDINGS)} documentation findings; citations OB-N/OQ-N: {REFERENCE_FILE}")
    return lines


_CERTAINTY_MEANING = {
    "documented": "NetApp documents it (an API reference, the ONTAP docs, the CLI reference) or "
                  "an RFC does",
    "recorded": "seen in a recorded answer of a real cluster, or in code NetApp runs against "
                "real clusters",
    "client-behaviour": "what NetApp's client libraries do, checked by running them against a "
                        "loopback stub",
    "inferred": "reasoned from the above; the entry says why",
}


def references_markdown() -> str:
    """``docs/observed-behaviour.md``: every reference entry with its anchor, and who cites it."""
    citing: dict[str, list[str]] = {}
    for r in RULES:
        for ref_id in cited(r.source):
            citing.setdefault(ref_id, []).append(r.id)
    for f in FINDINGS:
        for ref_id in cited(f.why):
            citing.setdefault(ref_id, []).append(f.id)
    out = [
        "# Observed behaviour and open questions",
        "",
        f"<!-- Generated from models/reference_data.py by `{GENERATE}`; do not edit by hand. -->",
        "",
        "The rules and documentation findings of the conformance suite (`python -m models`) cite "
        "NetApp's page for this endpoint and, where that page is silent or contradicts itself, the "
        "entries below: behaviour of real clusters and of NetApp's own clients, NetApp's general "
        "REST API documentation, and the questions the model leaves open on purpose. Each entry "
        "is our own summary of its source.",
        "",
        "## What a citation names",
        "",
        "| citation | meaning |",
        "|---|---|",
    ]
    out += [f"| `{p.label}:` | [{p.title}]({p.url}) |" for p in DOC_PAGES]
    out += ["| `OB-N` | an observed or documented behaviour below (N is the fact number of the "
            "project's original research note) |",
            "| `OQ-N` | an open question below |",
            "", "Certainty of an entry:", ""]
    out += [f"- **{c}**: {_CERTAINTY_MEANING[c]}" for c in CERTAINTIES]
    out += ["", "Short names in the sources:", ""]
    out += [f"- **{name}**: {meaning}" for name, meaning in ABBREVIATIONS]
    for heading, prefix in (("Observed and documented behaviour", "OB-"), ("Open questions", "OQ-")):
        out += ["", f"## {heading}"]
        for entry in (r for r in REFERENCES if r.id.startswith(prefix)):
            out += ["", f'<a id="{entry.anchor}"></a>', f"### {entry.id}. {entry.title}", "",
                    entry.text, "", f"Source: {entry.source}. Certainty: {entry.certainty}."]
            if entry.id in citing:
                out += ["", f"Cited by: {', '.join(citing[entry.id])}."]
    return "\n".join(out) + "\n"
