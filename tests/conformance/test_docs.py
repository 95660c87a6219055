"""The README and the docs pages stay true: links resolve, quoted files exist, commands name
options and modules that exist (issue 22: "every command in the README and docs still runs as
written"; running each would take the whole suite, so what a command names is checked)."""

import functools
import importlib.util
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", ROOT / "bench" / "README.md", ROOT / "emulator" / "README.md",
         *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
FENCE = re.compile(r"```[a-z]*\n(.*?)```", re.S)
FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z-]*)")
MODULE = re.compile(r"python3? -m ([a-z_][\w.]*)")
SUITE_COMMAND = ("pytest conformance", "ontap-conformance", "pytest --pyargs conformance")


def _code_lines(page):
    """Each command of the page's code blocks, continuation lines joined."""
    for block in FENCE.findall(page.read_text(encoding="utf-8")):
        yield from block.replace("\\\n", " ").splitlines()


@functools.lru_cache(maxsize=1)
def _suite_help():
    """The suite's option list, as pytest prints it with the plugin loaded."""
    done = subprocess.run([sys.executable, "-m", "pytest", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


#: Environment variables a page may name outside code spans (ours, and NetApp's client's).
KNOWN_NAMES = ("ONTAP_", "HYPOTHESIS_", "PYTEST_", "BENCH_", "NO_PROXY", "RETRY_API_ON_ERROR")
PLACEHOLDER = re.compile(r"(?<![`\w])([A-Z][A-Z0-9]+(?:_[A-Z0-9]+)+)(?![`\w])")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_placeholder_is_left_in_a_page(page):
    """A figure still to fill in (``CLUSTER_SIZE_FIGURES``) must not reach a user."""
    left = sorted({name for name in PLACEHOLDER.findall(page.read_text(encoding="utf-8"))
                   if not name.startswith(KNOWN_NAMES)})
    assert not left, f"{page.name} still holds placeholders: {left}"


def test_the_readme_fits_one_screen_and_a_bit():
    """Issue 22: a newcomer starts in one screen; the rest lives in docs/."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200, len(lines)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page):
    missing = [target for target in LINK.findall(page.read_text(encoding="utf-8"))
               if "://" not in target and not (page.parent / target).exists()]
    assert not missing, f"{page.name} links to files that do not exist: {missing}"


QUOTING = [page for page in PAGES if page != ROOT / "bench" / "README.md"]  # its table names outputs


@pytest.mark.parametrize("page", QUOTING, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_quoted_result_file_exists(page):
    quoted = set(re.findall(r"`(bench/results/[\w.-]+\.json)`", page.read_text(encoding="utf-8")))
    missing = sorted(name for name in quoted if not (ROOT / name).exists())
    assert not missing, f"{page.name} quotes result files that are not committed: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_suite_commands_name_options_that_exist(page):
    named = {flag for line in _code_lines(page) if any(c in line for c in SUITE_COMMAND)
             for flag in FLAG.findall(line)}
    known = set(FLAG.findall(_suite_help()))  # whole options: "--svm" is not "--svms"
    unknown = sorted(named - known)
    assert not unknown, f"{page.name} runs the suite with options it does not have: {unknown}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_commands_name_modules_that_exist(page):
    named = {m for line in _code_lines(page) for m in MODULE.findall(line)}
    missing = sorted(m for m in named if importlib.util.find_spec(m) is None)
    assert not missing, f"{page.name} runs modules that do not exist: {missing}"
