"""The shrunk step program of a failure, for the terminal and the HTML report.

Hypothesis prints the program it shrank a failure to ("Falsifying example ...", each step
with its notes: the redacted request summaries and curl lines); the reports lead with it
instead of the suite's own stack frames.
"""

from __future__ import annotations

import re

from conformance.wire.redaction import REDACTOR

# pytest prefixes an exception's lines with "E" and seven spaces; grouped exceptions with "|".
_PREFIX = re.compile(r"^(?:E {7}|E {1,3}|\s*\| ?)")
_PROGRAM_END = re.compile(r"^\s*(?:\+-|Traceback|Explanation:|\S+\.py:\d+: |During handling|The above exception)")


def step_program(longrepr_text: str) -> str:
    """Extract Hypothesis's shrunk step program(s), with their notes, from a failure's text."""
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for raw in longrepr_text.splitlines():
        line = _PREFIX.sub("", raw, count=1)
        if line.startswith(("Falsifying example", "Falsifying explicit example", "Failing test case")):
            current = [line]
            blocks.append(current)
        elif current is not None:
            if not line.strip() or _PROGRAM_END.match(line):
                current = None
            else:
                current.append(line)
    return REDACTOR.redact_text("\n\n".join("\n".join(b) for b in blocks))


__all__ = ["step_program"]
