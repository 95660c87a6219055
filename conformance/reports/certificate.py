"""The run's certificate: what was judged, by which suite, against which target, and the verdict.

Every run that writes reports writes ``certificate.json`` next to them. Its statement is
exact: ``conformant to the documented behaviour of ONTAP 9.10.1 for
/api/protocols/san/iscsi/credentials`` (with the release the run judged against) only when
the verdict is conformant and no known deviation was needed; ``conformant with N known
deviations`` when some were; otherwise the verdict itself (``nonconformant`` or
``inconclusive``). Then it names what the verdict did not judge: every observed deviation
(``; 1 observed deviation: CRED-XXX-NNN (title)``) and the documented rules not applicable
here, grouped by reason (``; 3 documented rules not applicable here: A, B, C (why)``). The
same facts are in ``observed_deviations`` and ``not_applicable``, inside the hashed content.

The certificate ends with a SHA-256 over everything else in it (canonical JSON), so an edit
shows::

    python -m conformance.certificate verify reports/certificate.json

prints one line and exits 0 when the hash and the statement hold, 1 when the file was
altered, 2 when it is not a certificate. A content hash detects edits, not forgery: whoever
edits the file can recompute the hash, so keep the certificate with the run's other
reports (or sign it) where that matters.

Everything a target can supply (its URL, its version string, reasons built from its
answers) has passed the redactor before it gets here.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from conformance.judging.ledger import CONFORMANT, DEVIATED, FAILED, KNOWN, NOT_APPLICABLE
from conformance.reports import verdict_text
from conformance.wire.redaction import REDACTOR
from models.releases import ReleaseError, parse_release
from models.rules import BY_ID, DOCUMENTED, ENDPOINT_ERROR_CODES, RULES

NAME = "certificate.json"
FORMAT = "ontap-iscsi-conformance certificate/1"
ENDPOINT = "/api/protocols/san/iscsi/credentials"
PACKAGE = "ontap-iscsi-conformance"
HASH_KEY = "content_sha256"
UNKNOWN = "unknown"
EXIT_VALID, EXIT_TAMPERED, EXIT_UNREADABLE = 0, 1, 2


def statement(verdict: str, known: int, release: str, deviations: Sequence[dict[str, str]] = (),
              not_applicable: Sequence[dict[str, str]] = ()) -> str:
    """The certificate's one-line claim (see the module docstring).

    ``deviations``: ``{rule, title}`` of every observed deviation; ``not_applicable``:
    ``{rule, reason}`` of every documented rule not applicable here.
    """
    if verdict == CONFORMANT and not known:
        head = f"conformant to the documented behaviour of ONTAP {release} for {ENDPOINT}"
    elif verdict == CONFORMANT:
        head = f"conformant with {known} known deviation{'' if known == 1 else 's'}"
    else:
        head = verdict
    return "; ".join([head, *verdict_text.statement_parts(deviations, not_applicable)])


def catalog_hash() -> str:
    """SHA-256 of the rule catalog (every rule's ID, title, basis, source, code, releases)."""
    catalog = {"rules": [rule.as_dict() for rule in RULES], "error_codes": list(ENDPOINT_ERROR_CODES)}
    return _sha256(catalog)


def suite_version() -> str:
    """The installed package's version, or ``unknown``."""
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover
        return UNKNOWN
    try:
        return version(PACKAGE)
    except PackageNotFoundError:
        return UNKNOWN


def suite_commit() -> dict[str, str]:
    """The git commit the suite runs from (when run from a checkout) and whether its
    ``conformance/`` or ``models/`` files differ from it; ``unknown`` otherwise."""
    package = Path(__file__).resolve().parents[1]  # conformance/ (this file: conformance/reports/)
    unknown = {"commit": UNKNOWN, "tree": UNKNOWN}

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", "-C", str(package.parent), *args], capture_output=True,
                              text=True, timeout=10, check=False)

    try:
        # Only a checkout that tracks this very package counts (not a virtualenv inside one).
        if git("ls-files", "--error-unmatch", f"{package.name}/__init__.py").returncode != 0:
            return unknown
        head = git("rev-parse", "HEAD")
        if head.returncode != 0:
            return unknown
        status = git("status", "--porcelain", "--untracked-files=no", "--", package.name, "models")
    except (OSError, subprocess.SubprocessError):
        return unknown
    tree = UNKNOWN if status.returncode != 0 else ("modified" if status.stdout.strip() else "clean")
    return {"commit": head.stdout.strip(), "tree": tree}


def build(document: dict[str, Any], run: dict[str, Any]) -> dict[str, Any]:
    """Return the certificate of a finished run.

    Args:
        document: the run's ``conformance.json`` (already redacted, known deviations applied).
        run: what the report does not hold: ``id``, ``seeds``, ``examples`` (dicts of plain
            values).
    """
    rules = {r["id"]: r["status"] for r in document["rules"]}
    known = sum(1 for status in rules.values() if status == KNOWN)
    release = document.get("release") or UNKNOWN
    deviations = (document.get("known_deviations") or {}).get("entries", [])
    # Reasons and property paths can quote a target's answers: redacted (rule IDs and titles
    # are the catalog's). The statement is built from exactly what the certificate holds.
    observed = verdict_text.observed_deviations(document)
    unjudged = REDACTOR.redact_json(verdict_text.not_applicable(document))
    body: dict[str, Any] = {
        "format": FORMAT,
        "statement": statement(document["verdict"], known, release, observed, unjudged),
        "endpoint": ENDPOINT,
        "release": release,
        "verdict": document["verdict"],
        "verdict_reason": document["verdict_reason"],
        "suite": {"name": PACKAGE, "version": suite_version(), **suite_commit()},
        "catalog": {"rules": len(RULES), "sha256": catalog_hash()},
        "target": dict(document["target"]),
        "run": {
            "id": run.get("id"),
            "started": document["run"]["started"],
            "finished": document["run"]["finished"],
            "profile": document["run"]["profile"],
            "seeds": run.get("seeds", {}),
            "examples": run.get("examples", {}),
            "requests": document["run"]["requests"],
            "strict_observed": document["run"].get("strict_observed", False),
            "time_budget": document["run"].get("time_budget"),
            "complete": document.get("complete", True),
        },
        "rules": rules,
        "observed_deviations": observed,
        "not_applicable": unjudged,
        "known_deviations": [
            {k: e[k] for k in ("rule", "state", "status", "code", "reason", "owner", "expires")}
            for e in deviations],
        "undocumented_properties": REDACTOR.redact_json(
            [str(p.get("path")) for p in document.get("undocumented_properties") or []]),
        "doc_findings": REDACTOR.redact_json(
            [{"id": f.get("id"), "observed": f.get("observed")} for f in document.get("doc_findings") or []]),
    }
    # The target's URL and version, and reasons that quote its answers: redact again here,
    # so a certificate built from any document holds no secret.
    body["target"] = REDACTOR.redact_json(body["target"])
    body["verdict_reason"] = REDACTOR.redact_text(body["verdict_reason"])
    body["known_deviations"] = REDACTOR.redact_json(body["known_deviations"])
    body[HASH_KEY] = _sha256(body)
    return body


def write(certificate: dict[str, Any], report_dir: Path) -> Path:
    """Write ``certificate.json`` into ``report_dir``."""
    report_dir.mkdir(parents=True, exist_ok=True)
    path = report_dir / NAME
    path.write_text(json.dumps(certificate, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _sha256(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class NotACertificate(ValueError):
    """The file is no certificate of this suite."""


def check(certificate: Any) -> list[str]:
    """Return what is wrong with a loaded certificate (empty: the hash and the statement hold).

    Raises:
        NotACertificate: the document lacks the certificate's shape.
    """
    if not isinstance(certificate, dict) or certificate.get("format") != FORMAT:
        raise NotACertificate(f"no {FORMAT!r} document")
    missing = [k for k in ("statement", "verdict", "release", "rules", HASH_KEY) if k not in certificate]
    if missing:
        raise NotACertificate(f"missing {', '.join(missing)}")
    problems = []
    body = {k: v for k, v in certificate.items() if k != HASH_KEY}
    computed = _sha256(body)
    if computed != certificate[HASH_KEY]:
        problems.append(f"content hash does not match (recorded {str(certificate[HASH_KEY])[:16]}..., "
                        f"computed {computed[:16]}...)")
    rules = certificate["rules"] if isinstance(certificate["rules"], dict) else {}
    known = sum(1 for status in rules.values() if status == KNOWN)
    observed = _entries(certificate, "observed_deviations", ("rule", "title"))
    unjudged = _entries(certificate, "not_applicable", ("rule", "reason"))
    expected = statement(certificate["verdict"], known, certificate["release"], observed, unjudged)
    if certificate["statement"] != expected:
        problems.append(f"the statement does not follow from the verdict and the rules "
                        f"(expected {expected!r})")
    if certificate["verdict"] == CONFORMANT and any(s == FAILED for s in rules.values()):
        problems.append("a conformant verdict with a failed rule")
    problems += _unjudged_problems(certificate, rules, observed, unjudged)
    return problems


def _entries(certificate: dict[str, Any], key: str, fields: tuple[str, ...]) -> list[dict[str, str]]:
    """A list of ``{fields}`` of text (absent in certificates written before it existed: empty)."""
    value = certificate.get(key, [])
    if not isinstance(value, list) or not all(
            isinstance(e, dict) and all(isinstance(e.get(f), str) for f in fields) for e in value):
        raise NotACertificate(f"{key} is not a list of {{{', '.join(fields)}}}")
    return value


def _unjudged_problems(certificate: dict[str, Any], rules: dict[str, Any], observed: list[dict[str, str]],
                       unjudged: list[dict[str, str]]) -> list[str]:
    """The statement's parts must name exactly the rules' deviated and not-applicable ones."""
    if "observed_deviations" not in certificate:  # a certificate from before they were listed
        return []
    problems = []
    deviated = sorted(r for r, s in rules.items() if s == DEVIATED)
    if sorted(e["rule"] for e in observed) != deviated:
        problems.append(f"observed_deviations do not name the deviated rules ({', '.join(deviated) or 'none'})")
    listed = {e["rule"] for e in unjudged}
    if any(rules.get(r) != NOT_APPLICABLE for r in listed):
        problems.append("not_applicable names a rule that is not 'not_applicable'")
    if (certificate.get("catalog") or {}).get("sha256") == catalog_hash():
        try:
            release = parse_release(str(certificate["release"]))
        except ReleaseError:
            return problems
        expected = {r for r, s in rules.items() if s == NOT_APPLICABLE and r in BY_ID
                    and BY_ID[r].applies_to(release) and BY_ID[r].basis_in(release) == DOCUMENTED}
        if listed != expected:
            problems.append("not_applicable does not name every documented rule not applicable here")
    return problems


def summary(certificate: dict[str, Any]) -> str:
    """One line: the statement, the target, the suite and the hash."""
    target = certificate.get("target") or {}
    suite = certificate.get("suite") or {}
    commit = str(suite.get("commit", UNKNOWN))
    commit = commit[:12] + (" modified" if suite.get("tree") == "modified" else "") if commit != UNKNOWN else UNKNOWN
    version = f", {target['ontap_version']}" if target.get("ontap_version") else ""
    catalog = "" if (certificate.get("catalog") or {}).get("sha256") == catalog_hash() else \
        "; made with another rule catalog than this suite's"
    return (f"{certificate['statement']}; target {target.get('url') or '?'} ({target.get('kind', '?')}"
            f"{version}); suite {suite.get('version', UNKNOWN)} ({commit}); "
            f"run {(certificate.get('run') or {}).get('finished', '?')}; "
            f"sha256 {str(certificate[HASH_KEY])[:16]}...{catalog}")


def verify(path: Path) -> tuple[int, str]:
    """Check the certificate at ``path``; return the exit status and the one line to print."""
    try:
        certificate = json.loads(path.read_text(encoding="utf-8"))
        problems = check(certificate)
    except FileNotFoundError:
        return EXIT_UNREADABLE, f"{path}: no such file"
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return EXIT_UNREADABLE, f"{path}: not a certificate (cannot read it as JSON: {exc})"
    except NotACertificate as exc:
        return EXIT_UNREADABLE, f"{path}: not a certificate ({exc})"
    if problems:
        return EXIT_TAMPERED, f"{path}: TAMPERED: {'; '.join(problems)}"
    return EXIT_VALID, f"{path}: valid: {summary(certificate)}"


def html_section(certificate: dict[str, Any], path: Path | None = None) -> str:
    """The report's Certificate section."""
    e, c = _escape, _catalog  # e: what a target supplied (redacted); c: our own values
    suite, run, target = certificate["suite"], certificate["run"], certificate["target"]
    seeds = ", ".join(f"{k} {v}" for k, v in (run.get("seeds") or {}).items()) or "not recorded"
    examples = ", ".join(f"{k} {v}" for k, v in (run.get("examples") or {}).items()) or "not recorded"
    rows = [
        ("Statement", f'<b id="cf-statement">{c(certificate["statement"])}</b>'),
        ("Release judged against", c(certificate["release"])),
        ("Target", f"{e(target.get('url') or '?')} ({c(target.get('kind'))}, "
                   f"{e(target.get('ontap_version') or 'version unknown')})"),
        ("Suite", f"{c(suite['name'])} {c(suite['version'])}, commit {c(suite['commit'])} "
                  f"(tree {c(suite['tree'])})"),
        ("Rule catalog", f"{c(certificate['catalog']['rules'])} rules, sha256 {c(certificate['catalog']['sha256'])}"),
        ("Profile", c(run.get("profile"))),
        ("Seeds", c(seeds)),
        ("Examples", c(examples)),
        ("Requests", c(run.get("requests"))),
        ("Observed deviations",
         c(verdict_text.deviations_text(certificate.get("observed_deviations") or []) or "none")),
        ("Not applicable (documented rules)",
         e(verdict_text.not_applicable_text(certificate.get("not_applicable") or []) or "none")),
        ("Known deviations", c(len(certificate["known_deviations"]))),
        ("Undocumented properties", e(", ".join(certificate.get("undocumented_properties") or []) or "none")),
        ("Documentation findings", e("; ".join(
            f"{f['id']}: {'observed ' + str(f['observed']) if f.get('observed') else 'not observed'}"
            for f in certificate.get("doc_findings") or []) or "none")),
        ("Content hash", f"<code>{c(certificate[HASH_KEY])}</code>"),
    ]
    where = str(path) if path is not None else NAME
    table = "".join(f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in rows)
    return (f'<h2 id="certificate">Certificate</h2><table class="cf">{table}</table>'
            f"<p>Written to <code>{e(where)}</code>; check it with "
            f"<code>python -m conformance.certificate verify {e(where)}</code>.</p>")


def _escape(value: Any) -> str:
    return html.escape(REDACTOR.redact_text("" if value is None else str(value)))


def _catalog(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.certificate",
                                     description="Check a conformance certificate.")
    commands = parser.add_subparsers(dest="command", required=True)
    verify_parser = commands.add_parser("verify", help="re-check the content hash and the statement")
    verify_parser.add_argument("file", type=Path, help="the certificate.json to check")
    args = parser.parse_args(argv)
    status, line = verify(args.file)
    print(line, file=sys.stdout if status == EXIT_VALID else sys.stderr)
    return status


__all__ = ["ENDPOINT", "FORMAT", "NAME", "build", "catalog_hash", "check", "html_section", "main",
           "statement", "suite_commit", "suite_version", "verify", "write"]


if __name__ == "__main__":
    sys.exit(main())

