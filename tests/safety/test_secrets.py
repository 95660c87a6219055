"""Secrets never leak, end to end.

The suite runs as a user would run it against a live target: an emulator we start with
``--record-secrets`` (it appends every CHAP password it receives) and the two defects that
put passwords into responses (``leak-password-in-get``) and error messages
(``echo-password-in-error``). Then every artefact of the run is scanned for every recorded
password and for the basic-auth password and its ``Authorization`` token: each report file
(HTML as text, html-unescaped, its pytest-html JSON blob and base64 extras decoded; JSON;
JUnit; the journal if one is left; any log), the subprocess's stdout and stderr, and the
``.hypothesis`` directory the run creates in its working directory (ours). Base64 runs are
decoded (and inflated, as in Hypothesis ``@reproduce_failure`` blobs) and percent-encoding
undone before the search.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from tests.safety.helpers import (
    PASSWORD,
    USERNAME,
    collect_artefacts,
    emulator,
    leaks,
    live_args,
    run_suite,
)

#: Secrets shorter than this cannot be told apart from ordinary text ("0", "fi", "INF" turn
#: up in UUIDs, numbers and words); they are checked only where they stand as the value of
#: a password key. The same holds for a longer secret that is a word of the suite's own
#: fixed text (a rule title, pytest-html's page) or any other string constant of the code:
#: Hypothesis draws strings from the constants of the code (and lists them in its
#: ``.hypothesis/constants`` cache), so a generated password can be "location", which every
#: report shows in the title of CRED-POST-002, or "both", a word of an error message.
MIN_FREE_TEXT = 4


def own_fixed_text() -> str:
    """Text every report holds whatever the target says: the rule catalog, the page assets."""
    catalog = subprocess.run([sys.executable, "-m", "models", "--json"], check=True,
                             capture_output=True, text=True).stdout
    import pytest_html

    assets = Path(pytest_html.__file__).parent / "resources"
    return "\n".join([catalog, *(p.read_text(errors="replace") for p in sorted(assets.rglob("*"))
                                 if p.is_file())]).lower()


def code_constants(database: Path) -> str:
    """The literals of the code Hypothesis collected (``.hypothesis/constants``) and draws
    strings from: a password equal to one ("__main__", "Statement") is the code's own text
    wherever it shows, like a rule title, and is checked only where it is a password value."""
    folder = database / "constants"
    if not folder.is_dir():
        return ""
    return "\n".join(p.read_text(errors="replace") for p in sorted(folder.iterdir()) if p.is_file()).lower()


@pytest.mark.slow
def test_no_password_or_auth_token_in_any_artefact(tmp_path: Path) -> None:
    recorded = tmp_path / "secrets.jsonl"
    cwd, report_dir = tmp_path / "cwd", tmp_path / "cwd" / "reports"
    cwd.mkdir()
    with emulator(tmp_path / "emulator", "--record-secrets", str(recorded),
                  "--defect", "leak-password-in-get", "--defect", "echo-password-in-error") as target:
        # The ci profile prints Hypothesis reproduction blobs: they are scanned too.
        result = run_suite(cwd, *live_args(target, report_dir), "--hypothesis-profile", "ci")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]  # the defects are caught...
    document = json.loads((report_dir / "conformance.json").read_text())
    assert "CRED-CHAP-008" in {f["rule"] for f in document["failures"]}, output[-3000:]

    passwords = {json.loads(line)["password"] for line in recorded.read_text().splitlines()}
    assert len(passwords) >= 10, "the run sent too few CHAP passwords to prove anything"
    fixed = own_fixed_text() + "\n" + code_constants(cwd / ".hypothesis")
    free_text = sorted(p for p in passwords if len(p) >= MIN_FREE_TEXT and p.lower() not in fixed)
    keyed_only = sorted(passwords - set(free_text) - {""})
    token = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
    free_text += [PASSWORD, token]

    artefacts = collect_artefacts(report_dir, cwd / ".hypothesis", cwd,
                                  extra={"stdout": result.stdout, "stderr": result.stderr})
    assert any(name.endswith("conformance.html") for name in artefacts)
    found = leaks(artefacts, free_text, keyed_only)
    assert not found, "\n".join(found[:20])


def test_the_scan_sees_through_the_encodings_of_the_artefacts() -> None:
    secret = "hunter2-in-artefact"
    blob = base64.b64encode(zlib.compress(secret.encode())).decode()
    extra = base64.b64encode(f"curl -d '{secret}'".encode()).decode()
    page = ('<div data-jsonblob="{&#34;x&#34;: &#34;data:text/plain;base64,'
            + extra + '&#34;}"></div>')
    for name, text in {"blob": f"@reproduce_failure('6.1', b'{blob}')", "html": page,
                       "url": "x?p=hunter2%2Din%2Dartefact", "json": '{"m": "hunter2\\u002din-artefact"}',
                       "short": "chap: {'password': 'ab'}"}.items():
        found = leaks(collect_artefacts(extra={name: text}), [secret], ["ab"])
        assert found, name
    assert not leaks(collect_artefacts(extra={"clean": "password: <redacted>"}), [secret], ["ab"])
