"""History: one line per run, tolerant reading, and a trend that names new failures, fixes and flaky rules."""

import json
from html.parser import HTMLParser

from conformance.judging.ledger import Ledger
from conformance.reports import history
from conformance.reports.run_report import RunInfo, build_report
from tests.conformance.test_deviations import RULE, failing_ledger
from tests.conformance.test_ledger_reports import credit_everything


def run_line(run_id: str, *, failing: bool = False, kind: str = "emulator", url: str = "http://127.0.0.1:1",
             exploration: object = None, duration: float = 10.0) -> dict:
    if failing:
        ledger = failing_ledger((201, None))
    else:
        ledger = Ledger()
        credit_everything(ledger)
    document = build_report(ledger, RunInfo(url=url, kind=kind, ontap_version="9.10.1",
                                            started=f"2026-11-{run_id}T01:00:00+00:00"))
    if exploration is not None:
        document["exploration"] = exploration
    return history.entry(document, run_id, duration, ("odd-hex-password",) if failing else ())


class Texts(HTMLParser):
    """The text inside each element that has an id."""

    def __init__(self) -> None:
        super().__init__()
        self.by_id: dict[str, str] = {}
        self.open: list[str | None] = []
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag in ("br", "img", "input", "line", "polyline", "rect", "circle"):
            return
        self.open.append(attributes.get("id"))
        if attributes.get("id"):
            self.by_id.setdefault(attributes["id"], "")

    def handle_endtag(self, tag):
        if tag in ("br", "img", "input", "line", "polyline", "rect", "circle"):
            return
        if self.open:
            self.open.pop()

    def handle_data(self, data):
        for element in self.open:
            if element:
                self.by_id[element] += data


def parse(html_text: str) -> Texts:
    parser = Texts()
    parser.feed(html_text)
    return parser


def test_a_run_line_holds_what_the_trend_needs():
    line = run_line("01", exploration={"programs": 31, "distinct_states": 812, "nested": {"a": 1}})
    assert line["format"] == history.FORMAT
    assert line["verdict"] == "conformant"
    assert line["release"] == "9.10.1"
    assert line["rules"][RULE] == "passed"
    assert line["coverage"]["rules_percent"] == 100.0 and line["coverage"]["codes_percent"] == 100.0
    assert line["exploration"]["distinct_states"] == 812
    assert line["duration_seconds"] == 10.0
    json.dumps(line)


def test_append_only_and_a_corrupt_line_is_skipped_with_a_warning(tmp_path):
    history.append(tmp_path, run_line("01"))
    with (tmp_path / history.FILE_NAME).open("a") as handle:
        handle.write("{this is not json}\n")
        handle.write(json.dumps({"format": "other", "rules": {}}) + "\n")
        handle.write('{"format": "' + history.FORMAT + '", "verdict": "conf')  # torn by a crash
    history.append(tmp_path, run_line("02", failing=True))
    read = history.read(tmp_path)
    assert [r["run_id"] for r in read.runs] == ["01", "02"]
    assert len(read.warnings) == 3
    assert any("line 2 skipped: not JSON" in w for w in read.warnings)
    assert any("line 3 skipped: not a run of this suite" in w for w in read.warnings)
    lines = (tmp_path / history.FILE_NAME).read_text().splitlines()
    assert json.loads(lines[0])["run_id"] == "01"  # the first line is untouched: only appends
    assert json.loads(lines[-1])["run_id"] == "02"


def test_a_missing_history_is_an_empty_one(tmp_path):
    read = history.read(tmp_path / "none")
    assert read.runs == [] and read.warnings == []


def test_the_trend_names_new_failures_fixes_and_flaky_rules():
    runs = [run_line("01"), run_line("02", failing=True), run_line("03")]
    flaky = history.trend(runs, run_line("04", failing=True))
    assert flaky["previous_run"] == "03"
    assert flaky["new_failures"] == [RULE]
    assert flaky["fixed"] == []
    assert flaky["flaky"] == [{"rule": RULE, "switches": 3, "runs": 4}]
    assert flaky["strip"][RULE] == ["passed", "failed", "passed", "failed"]
    fixed = history.trend(runs[:2], run_line("03"))
    assert fixed["fixed"] == [RULE] and fixed["new_failures"] == []
    steady = history.trend([run_line("01", failing=True)], run_line("02", failing=True))
    assert steady["new_failures"] == [] and steady["flaky"] == []


def test_the_trend_compares_runs_of_the_same_target_only():
    runs = [run_line("01", failing=True), run_line("02", kind="live", url="https://cluster-a")]
    data = history.trend(runs, run_line("03", kind="live", url="https://CLUSTER-A/", failing=True))
    assert [r["run_id"] for r in data["runs"]] == ["02", "03"]
    assert data["new_failures"] == [RULE]
    first = history.trend([], run_line("01", failing=True))
    assert first["previous_run"] is None and first["new_failures"] == [RULE]


def test_the_trend_keeps_the_last_runs_only():
    runs = [run_line(f"{day:02d}") for day in range(1, 26)]
    data = history.trend(runs[:-1], runs[-1])
    assert len(data["runs"]) == history.TREND_RUNS
    assert data["runs"][-1]["run_id"] == "25"


def test_the_trend_section_lists_the_new_failure():
    runs = [run_line("01"), run_line("02")]
    section = history.html_section(history.trend(runs, run_line("03", failing=True, duration=25.0)),
                                   ["history.jsonl: line 9 skipped: not JSON"])
    page = parse(section)
    assert RULE in page.by_id["cf-new-failures"]
    assert "needs an even number of hex digits" in page.by_id["cf-new-failures"]
    assert "None" in page.by_id["cf-fixed"]
    chart = [attrs for tag, attrs in page.tags if tag == "circle"]
    assert len(chart) == 3
    assert chart[-1]["fill"] == "#dc3545" and chart[0]["fill"] == "#28a745"  # nonconformant, conformant
    assert "cf-trend-chart" in page.by_id and "cf-duration-chart" in page.by_id
    strip = page.by_id["cf-rule-strip"]
    assert RULE in strip
    titles = [attrs["title"] for tag, attrs in page.tags if tag == "span" and "title" in attrs]
    assert "run 3: failed" in titles
    assert "line 9 skipped" in section
    assert "<script" not in section


def test_the_trend_section_says_when_nothing_is_new():
    section = history.html_section(history.trend([run_line("01")], run_line("02")))
    page = parse(section)
    assert page.by_id["cf-new-failures"].startswith("None")
    assert "No rule switched status" in page.by_id["cf-flaky"]
