"""The recording file of ``--record FILE``: its format, writing it, and reading it back checked.

One program per line, so that two recordings diff readably. A recording that cannot be read
or used raises :class:`RecordingError` with one line, wherever the upgrade stage meets it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FORMAT = "ontap-iscsi-conformance-recording"
VERSION = 1


class RecordingError(Exception):
    """A recording cannot be read or used; the message is one line."""


def write(path: Path, document: dict[str, Any]) -> None:
    """Write a recording (one program per line, for a readable diff of two recordings)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    programs = document.get("programs", [])
    head = {k: v for k, v in document.items() if k != "programs"}
    lines = [json.dumps(p, ensure_ascii=False, separators=(",", ":")) for p in programs]
    text = json.dumps(head, ensure_ascii=False, indent=1)[:-2] + ',\n "programs": [\n'
    text += ",\n".join(lines) + "\n ]\n}\n"
    path.write_text(text, encoding="utf-8")


def read(path: Path) -> dict[str, Any]:
    """Read and check a recording; :class:`RecordingError` with one line when it is unusable."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RecordingError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordingError(f"{path}: cannot be read ({type(exc).__name__})") from None
    except ValueError as exc:
        raise RecordingError(f"{path}: not JSON ({exc})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise RecordingError(f"{path}: not a recording of this suite (made with --record FILE)")
    if document.get("version") != VERSION:
        raise RecordingError(f"{path}: recording format version {document.get('version')!r}; "
                             f"this suite reads version {VERSION}")
    programs = document.get("programs")
    if not isinstance(programs, list) or not all(isinstance(p, dict) and isinstance(p.get("steps"), list)
                                                 for p in programs):
        raise RecordingError(f"{path}: the recording's programs are malformed")
    return document
