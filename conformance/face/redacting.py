"""Secrets out of everything pytest writes: every test and collection report (its text,
sections, HTML extras and JUnit properties) and the metadata pytest-html shows.

The redactor knows every CHAP password the run sent and the basic-auth secret
(:mod:`conformance.wire.redaction`); these hooks pass pytest's own artefacts through it.
"""

from __future__ import annotations

import pytest

from conformance.wire.redaction import REDACTOR


def redact_report(report: pytest.TestReport | pytest.CollectReport) -> None:
    """Mask every secret in a report before any reporter sees it."""
    if report.longrepr is not None:
        if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
            path, lineno, reason = report.longrepr
            report.longrepr = (path, lineno, REDACTOR.redact_text(reason))
        else:
            report.longrepr = REDACTOR.redact_text(report.longreprtext)
    report.sections = [(header, REDACTOR.redact_text(content))
                       for header, content in report.sections]
    for extra in getattr(report, "extras", []) or []:
        if isinstance(extra, dict) and isinstance(extra.get("content"), str):
            extra["content"] = REDACTOR.redact_text(extra["content"])
    if getattr(report, "user_properties", None):
        report.user_properties = [(k, REDACTOR.redact_text(v)) for k, v in report.user_properties]


def redact_metadata(session: pytest.Session) -> None:
    """Drop secret-looking keys of pytest-metadata (the HTML report's environment table) and
    redact the rest."""
    try:
        from pytest_metadata.plugin import metadata_key
    except ImportError:
        return
    metadata = session.config.stash.get(metadata_key, None)
    if not metadata:
        return
    for key in list(metadata):
        if any(word in key.lower() for word in ("password", "secret", "token", "auth")):
            del metadata[key]
        elif isinstance(metadata[key], str):
            metadata[key] = REDACTOR.redact_text(metadata[key])
