"""Self-tests of bench/: argument parsing, parsing of reports, tables, on synthetic data.

No benchmark is run here and nothing is timed.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

import pytest

from bench import common, exploration, mutation, overhead, peer
from bench.tally_requests import kind_of

DEFECTS = [{"name": "leak-password-in-get", "rule": "CRED-CHAP-008", "description": "x", "sequence": False},
           {"name": "post-200", "rule": "CRED-POST-001", "description": "y", "sequence": False},
           {"name": "third-patch-not-applied", "rule": "CRED-PATCH-001", "description": "z",
            "sequence": True}]

STATEFUL_FAILURE = """\
E   | Falsifying example:
E   | state = CredentialsMachine()
E   | names_0 = state.new_name(name='iqn.2000-01.org.example.conformance:0')
E   | state.create_credentials(name=names_0, ref='name', return_records=False, settings={})
E   | state.delete_credentials(name=names_0, svm=Svm(uuid='u', name='svm2', iscsi=True))
E   | state.teardown()
E   +---------------- 2 ----------------
E   | Falsifying example:
E   | state = CredentialsMachine()
E   | state.retrieve_default_credentials(svm=Svm(uuid='u', name='svm3', iscsi=False))
E   | state.teardown()
"""

# Hypothesis 6.1xx heads the program "Failing test case"; a rule returning several keys
# assigns them all on one line.
FAILING_TEST_CASE = """\
CRED-PATCH-001 PATCH applies the change and answers 200: authentication_type 'deny' != 'none'
Failing test case: <state machine>
state = CredentialsMachine()
POST /api/protocols/san/iscsi/credentials -> 201
existing_0 = state.seed_credentials(name='iqn.2000-01.org.example.conformance:0')
existing_1, existing_2 = state.create_several_credentials(names=['a', 'b'])
Draw 1 (record): ('u', 'iqn.2000-01.org.example.conformance:0')
state.change_authentication_type(key=existing_0, body={'authentication_type': 'deny'})
state.teardown()
"""


def junit(name: str, text: str) -> str:
    return (f'<testsuites><testsuite><testcase classname="conformance.test_stateful" '
            f'name="ok"/><testcase classname="conformance.test_stateful" name="{name}">'
            f'<failure message="">{html.escape(text)}</failure></testcase></testsuite></testsuites>')


def report(failed: list[str], observed: list[str] = (), *, test: str = "conformance/test_stateful.py::"
           "test_machine", deviated: list[str] = (), verdict: str | None = None) -> dict:
    """A conformance.json; ``deviated`` uses the newer status form, ``observed`` the older list."""
    return {"verdict": verdict or ("nonconformant" if failed else "conformant"),
            "rules": [{"id": r, "status": "failed"} for r in failed]
            + [{"id": r, "status": "deviated"} for r in deviated]
            + [{"id": "CRED-GET-001", "status": "passed"},
               {"id": "CRED-DEF-001", "status": "not_applicable"}],
            "observed_deviations": [{"rule": r, "message": "m"} for r in observed],
            "failures": [{"rule": r, "test": test, "message": "broke\nmore", "curl": ""}
                         for r in failed],
            "run": {"started": "s", "finished": "f", "requests": 10}}


# ---- mutation ----------------------------------------------------------------------------------
def test_mutation_arguments():
    args = mutation.parse_args(["--seeds", "2", "--defect", "a", "--defect", "b",
                                "--budget", "12.5"])
    assert (args.seeds, args.defect, args.budget, args.jobs, args.peer_spec) == \
        (2, ["a", "b"], 12.5, 2, None)
    defaults = mutation.parse_args([])
    assert defaults.seeds == 3 and not defaults.stateful_only
    assert defaults.out == common.RESULTS_DIR and common.RESULTS_DIR.parts[-2:] == ("bench", "results")
    assert mutation.parse_args(["--stateful-only"]).stateful_only


@pytest.mark.parametrize("argv", [["--seeds", "0"], ["--budget", "0"],
                                  ["--peer-spec", "/no/such/spec.yaml"]])
def test_mutation_rejects_bad_arguments(argv):
    with pytest.raises(SystemExit):
        mutation.parse_args(argv)


def test_select_defects():
    assert mutation.select_defects(DEFECTS, []) == DEFECTS
    assert mutation.select_defects(DEFECTS, ["post-200"]) == DEFECTS[1:2]
    assert mutation.select_defects(DEFECTS, [], sequence_only=True) == DEFECTS[2:]
    assert mutation.select_defects(DEFECTS, ["post-200"], sequence_only=True) == DEFECTS[1:2]
    with pytest.raises(SystemExit, match="unknown defect"):
        mutation.select_defects(DEFECTS, ["nope"])


def test_suite_command_stops_at_first_failure_with_the_default_verdict():
    cmd = mutation.suite_command("post-200", 3, Path("/tmp/r"))
    assert cmd[1:4] == ["-m", "pytest", "conformance"]
    for flag in ("-x", "no:cacheprovider", "bench.isolate_hypothesis"):
        assert flag in cmd
    assert "--strict-observed" not in cmd
    assert cmd[cmd.index("--hypothesis-seed") + 1] == "3"
    assert cmd[cmd.index("--emulator-defect") + 1] == "post-200"
    assert cmd[cmd.index("--emulator-ontap-version") + 1] == "9.10.1"
    stateful = mutation.suite_command("post-200", 3, Path("/tmp/r"), stateful_only=True)
    assert stateful[3] == "conformance/test_stateful.py"
    later = mutation.suite_command("svm-in-patch-ignored", 3, Path("/tmp/r"), release="9.15.1")
    assert later[later.index("--emulator-ontap-version") + 1] == "9.15.1"


def test_program_lengths_count_steps_without_teardown():
    assert mutation.program_lengths(STATEFUL_FAILURE) == [3, 1]
    assert mutation.program_lengths(FAILING_TEST_CASE) == [3]
    assert mutation.program_lengths("AssertionError: no program") == []


def test_judge_stateful_kill():
    run = mutation.judge("leak-password-in-get", "CRED-CHAP-008", 1, 1, 4.2,
                         report(["CRED-CHAP-008"]), junit("test_machine", STATEFUL_FAILURE), False)
    assert run.killed and run.program_length == 1 and run.message == "broke"
    assert run.failing_test == "conformance.test_stateful::test_machine"
    assert run.killed_by == mutation.MACHINE and run.verdict == "nonconformant"


def test_judge_names_the_test_whose_failure_named_the_rule():
    xml = ('<testsuites><testsuite><testcase classname="conformance.test_error_codes" name="test_a">'
           '<failure message="">AssertionError</failure></testcase>'
           '<testcase classname="conformance.test_stateful" name="test_machine">'
           f'<failure message="">{html.escape(FAILING_TEST_CASE)}</failure></testcase></testsuite></testsuites>')
    document = report(["CRED-PATCH-001"])
    document["failures"].insert(0, {"rule": "CRED-GET-001", "test": "conformance/test_error_codes.py::test_a",
                                    "message": "other", "curl": ""})
    run = mutation.judge("third-patch-not-applied", "CRED-PATCH-001", 1, 1, 9.0, document, xml, False)
    assert run.killed and run.killed_by == mutation.MACHINE and run.program_length == 3
    example = mutation.judge("post-200", "CRED-POST-001", 1, 1, 2.0,
                             report(["CRED-POST-001"], test="conformance/test_error_codes.py::test_a"),
                             xml, False)
    assert example.killed and example.killed_by == mutation.EXAMPLE and example.program_length == 1


def test_judge_counts_only_the_default_verdict_on_the_own_rule():
    example = junit("test_example", "AssertionError: x")
    old_form = mutation.judge("d", "CRED-DEF-002", 1, 0, 1.0, report([], ["CRED-DEF-002"]), example, False)
    assert old_form.status == "deviated" and not old_form.killed
    new_form = mutation.judge("d", "CRED-POST-002", 1, 0, 1.0,
                              report([], deviated=["CRED-POST-002"], verdict="inconclusive"), "", False)
    assert new_form.status == "deviated" and new_form.killed_by == ""
    other = mutation.judge("d", "CRED-DEF-002", 1, 1, 1.0, report(["CRED-GET-001"]), example, False)
    assert other.status == "missed" and other.rules_reported == ["CRED-GET-001"]
    inconclusive = mutation.judge("d", "CRED-DEF-002", 1, 0, 1.0, report([], verdict="inconclusive"), "", False)
    assert inconclusive.status == "survived"
    survived = mutation.judge("d", "CRED-DEF-002", 1, 0, 9.0, report([]), "", False)
    assert survived.status == "survived" and survived.program_length is None
    assert mutation.judge("d", "R", 1, None, 30.0, None, "", True).status == "timeout"
    assert mutation.judge("d", "R", 1, 4, 1.0, None, "", False).status == "error"


def test_rule_status_reads_both_report_forms():
    assert mutation.rule_status(report(["CRED-GET-002"]), "CRED-GET-002") == "failed"
    assert mutation.rule_status(report([], ["CRED-POST-002"]), "CRED-POST-002") == "deviated"
    assert mutation.rule_status(report([], deviated=["CRED-POST-002"]), "CRED-POST-002") == "deviated"
    assert mutation.rule_status(report([]), "CRED-DEF-001") == "not_applicable"
    assert mutation.rule_status(report([]), "CRED-XYZ-001") == ""


def test_summary_and_table():
    runs = [mutation.SuiteRun("leak-password-in-get", "CRED-CHAP-008", s, "killed", float(s),
                              1, ["CRED-CHAP-008"], "t", 1, killed_by=mutation.EXAMPLE)
            for s in (1, 2, 3)]
    runs += [mutation.SuiteRun("post-200", "CRED-POST-001", 1, "killed", 2.0, 1,
                               ["CRED-POST-001"], "t", 4, killed_by=mutation.MACHINE),
             mutation.SuiteRun("post-200", "CRED-POST-001", 2, "timeout", 30.0, -2, [], ""),
             mutation.SuiteRun("third-patch-not-applied", "CRED-PATCH-001", 1, "deviated", 5.0, 0,
                               ["CRED-PATCH-001"], "")]
    totals = mutation.summarize(runs, DEFECTS)
    assert totals["killed_every_seed"] == 1 and totals["killed_some_seed"] == 2
    assert totals["mutation_score"] == round(1 / 3, 4) and totals["deviated_every_seed"] == 1
    assert (totals["runs_killed_by_state_machine"], totals["runs_killed_by_example_tests"]) == (1, 3)
    assert totals["median_seconds_to_kill"] == 2.0 and totals["worst_seconds_to_kill"] == 3.0
    assert totals["median_state_machine_program_length"] == 4
    assert [m["seed"] for m in totals["misses"]] == [2, 1]
    peer_part = {"defects": {"post-200": {"killed": True, "seconds_to_kill": 7.5,
                                          "killed_beyond_known_noise": False}},
                 "killed": 1, "defects_run": 2, "median_seconds": 7.5}
    text = mutation.render(runs, DEFECTS, totals, peer_part, "note")
    assert "| post-200" in text and "1/2 (timeout)" in text and "7.50" in text
    assert "mutation score (killed on every seed, default verdict): 1/3 = 33%" in text
    assert "MISS post-200 seed 2: timeout" in text
    assert "DEVIATED third-patch-not-applied seed 1: deviated" in text
    rows = {row[0]: row for row in mutation.defect_rows(runs, DEFECTS, None)}
    assert rows["leak-password-in-get"][7] == mutation.EXAMPLE
    assert rows["post-200"][7] == mutation.MACHINE and rows["post-200"][8] == "4"
    assert rows["third-patch-not-applied"][2:5] == ["sequence", "0/1", "1/1"]
    plain = mutation.render(runs, DEFECTS, totals, None, "schemathesis: not run")
    assert "schemathesis" not in plain.splitlines()[0]


# ---- peer ----------------------------------------------------------------------------------------
def test_rename_dotted_path_parameter_only():
    doc = {"paths": {
        "/c": {"get": {"parameters": [{"in": "query", "name": "svm.uuid"}]}},
        "/c/{svm.uuid}/{initiator}": {"get": {"parameters": [
            {"in": "path", "name": "svm.uuid"}, {"in": "path", "name": "initiator"}]}}}}
    out = peer.rename_dotted_path_params(doc)
    assert list(out["paths"]) == ["/c", "/c/{svm_uuid}/{initiator}"]
    assert out["paths"]["/c"]["get"]["parameters"][0]["name"] == "svm.uuid"
    names = [p["name"] for p in out["paths"]["/c/{svm_uuid}/{initiator}"]["get"]["parameters"]]
    assert names == ["svm_uuid", "initiator"]


def test_derive_spec_writes_only_into_the_given_folder(tmp_path):
    pytest.importorskip("yaml")
    source = tmp_path / "in.yaml"
    source.write_text("swagger: '2.0'\npaths:\n  /x/{svm.uuid}:\n    get:\n      parameters:\n"
                      "      - {in: path, name: svm.uuid}\n")
    out = peer.derive_spec(source, tmp_path)
    assert out.parent == tmp_path and "{svm_uuid}" in out.read_text()


def ndjson_events() -> list[str]:
    check = {"name": "response_schema_conformance", "status": "failure",
             "failure_info": {"failure": {"code": "ST108", "operation": "GET /c"}}}
    return [json.dumps({"EngineStarted": {"timestamp": 100.0}}),
            "not json",
            json.dumps({"ScenarioFinished": {"timestamp": 102.5, "recorder": {
                "checks": {"a": [{"name": "not_a_server_error", "status": "success"}, check]}}}}),
            json.dumps({"ScenarioFinished": {"timestamp": 104.0, "recorder": {
                "checks": {"b": [check]}}}})]


def test_parse_ndjson_first_failure_times():
    failures, first = peer.parse_ndjson(ndjson_events())
    key = ("ST108 response_schema_conformance", "GET /c")
    assert failures == [key] and first == {key: 2.5}


def test_peer_verdict_against_baseline():
    noise = {("ST202 positive_data_acceptance", "POST /c")}
    failures, first = peer.parse_ndjson(ndjson_events())
    run = peer.PeerRun("d", 1, 30.0, [*failures, *noise], first)
    assert run.killed(noise) and run.time_to_kill(noise) == 2.5
    assert not peer.PeerRun("d", 1, 30.0, sorted(noise)).killed(noise)
    assert not peer.PeerRun("d", 0, 30.0, failures).killed(noise)
    summary = mutation.peer_summary(peer.PeerRun(None, 1, 30.0, sorted(noise)), {"d": run}, 30)
    assert summary["killed"] == 1 and summary["median_seconds"] == 2.5
    assert summary["killed_beyond_known_noise"] == 1
    noisy = peer.PeerRun("e", 1, 30.0, [("ST204 unsupported_method", "GET /c")])
    summary = mutation.peer_summary(peer.PeerRun(None, 1, 30.0, sorted(noise)), {"e": noisy}, 30)
    assert summary["killed"] == 1 and summary["killed_beyond_known_noise"] == 0


def test_schemathesis_command():
    cmd = peer.schemathesis_command(Path("/t/renamed.yaml"), "http://127.0.0.1:1", 20, 1,
                                    Path("/t/r"))
    assert cmd[cmd.index("--url") + 1] == "http://127.0.0.1:1/api"
    assert cmd[cmd.index("--checks") + 1] == "all"
    assert cmd[cmd.index("--max-time") + 1] == "20"
    assert "--auth" in cmd and "ndjson" in cmd[cmd.index("--report") + 1]


# ---- overhead ------------------------------------------------------------------------------------
def test_overhead_arguments():
    args = overhead.parse_args(["--rounds", "2", "--profile"])
    assert (args.rounds, args.seed, args.profile) == (2, 1, True)
    with pytest.raises(SystemExit):
        overhead.parse_args(["--rounds", "0"])
    assert overhead.parse_args(["--label", "before"]).label == "before"
    with pytest.raises(SystemExit):
        overhead.parse_args(["--label", "../x"])


def test_tally_kinds():
    base = "http://127.0.0.1:1" + common.CREDS
    assert kind_of("POST", base) == "post"
    assert kind_of("GET", base + "?fields=*") == "collection"
    assert kind_of("GET", base + "/u/iqn.x") == "get"
    assert kind_of("PATCH", base + "/u/iqn.x") == "patch"
    assert kind_of("DELETE", base + "/u/iqn.x") == "delete"
    assert kind_of("POST", "http://127.0.0.1:1/_emulator/reset") == "other"


def test_schedule_keeps_the_mix():
    counts = {"post": 5, "patch": 3, "delete": 2, "get": 4, "collection": 1, "other": 1}
    calls = overhead.schedule(counts, seed=1)
    assert {k: calls.count(k) for k in counts} == counts
    assert calls == overhead.schedule(counts, seed=1)


def test_overhead_summary_and_profile_tables():
    def rnd(suite, floor):
        return {"suite": {"requests": 100, "call_seconds": 1.0, "counts": {"post": 100}},
                "floor": {"seconds": 0.5}, "suite_rps": suite, "floor_rps": floor,
                "ratio": round(floor / suite, 3)}
    rounds = [rnd(100, 200), rnd(100, 120), rnd(100, 110)]
    totals = overhead.summarize(rounds)
    assert totals["median_ratio"] == 1.2 and totals["median_floor_rps"] == 120
    assert "overhead ratio 1.2x" in overhead.render(rounds, totals)
    prof = {"seconds": 3.0, "buckets": [{"part": "HTTP client", "seconds": 1.0, "share": 0.5}],
            "top_functions": [{"function": "f", "where": "m.py:1", "seconds": 1.0,
                               "share": 0.5}]}
    assert "| HTTP client | 1.0" in overhead.render_profile(prof)
    assert overhead.bucket_of("/x/site-packages/hypothesis/core.py") == "Hypothesis"
    assert overhead.bucket_of("/repo/conformance/checks.py") == "conformance"


# ---- exploration -------------------------------------------------------------------------------
def seed_run(seed: int, **figures) -> exploration.SeedRun:
    base = {"programs": 30, "steps": 1200, "most_records_alive_on_one_svm": 20,
            "writes": {"accepted_share": 0.9}, "delete_recreate": 9, "initiators_on_two_svms": 9,
            "records_patched_twice": 40, "paged_reads_of_3_or_more_pages": 50}
    return exploration.SeedRun(seed, 10.0, 0, "conformant", {**base, **figures})


def test_exploration_arguments_and_command():
    args = exploration.parse_args([])
    assert (args.seeds, args.profile, args.jobs, args.out) == (5, "dev", 2, common.RESULTS_DIR)
    with pytest.raises(SystemExit):
        exploration.parse_args(["--seeds", "0"])
    cmd = exploration.suite_command(4, Path("/tmp/r"))
    assert cmd[3] == "conformance" and "-x" not in cmd and "--emulator-defect" not in cmd
    assert cmd[cmd.index("--hypothesis-seed") + 1] == "4" and "bench.isolate_hypothesis" in cmd


def test_exploration_floors_per_seed():
    good, short = seed_run(1), seed_run(2, initiators_on_two_svms=4, writes={"accepted_share": 0.5})
    assert good.missed() == []
    assert short.missed() == ["accepted_share", "initiators_on_two_svms"]
    assert exploration.SeedRun(3, 1.0, 4, "", {}).missed() == list(exploration.FLOORS)
    totals = exploration.summarize([good, short])
    assert not totals["all_floors_met"]
    assert totals["initiators_on_two_svms"] == {"label": "initiator on two SVMs", "floor": 5, "worst": 4,
                                                "median": 6.5, "missed_on_seeds": [2]}
    assert exploration.summarize([good])["all_floors_met"]
    text = exploration.render([good, short])
    assert "| 4 !" in text and "50% !" in text and text.splitlines()[-1].startswith("| floor")


# ---- common --------------------------------------------------------------------------------------
def test_table_and_json(tmp_path):
    text = common.table(["a", "bb"], [[1, None], ["xyz", 2]])
    assert text.splitlines()[0] == "| a   | bb |" and text.splitlines()[2] == "| 1   |    |"
    path = common.write_json("x.json", {"k": 1}, tmp_path)
    assert json.loads(path.read_text()) == {"k": 1}
    assert common.median([]) is None and common.fmt_seconds(None) == "-"
    assert common.fmt_seconds(1.234) == "1.23"
    info = {"cpus": 2, "python": "3.11", "date": "2026-01-01", "loadavg_1min": 1.0,
            "commit": "abc"}
    assert common.machine_label(info).startswith("2 cores")


def test_isolation_keeps_hypothesis_caches_but_not_its_examples(tmp_path):
    from hypothesis import configuration

    from bench import isolate_hypothesis

    usual = tmp_path / "usual"
    for name in ("unicode_data", "constants", "examples"):
        (usual / name).mkdir(parents=True)
        (usual / name / "f").write_text(name)
    before = isolate_hypothesis._where("examples").parent
    configuration.set_hypothesis_home_dir(usual)
    try:
        isolate_hypothesis.isolate(str(tmp_path / "fresh"))
        assert (tmp_path / "fresh" / "unicode_data" / "f").read_text() == "unicode_data"
        assert (tmp_path / "fresh" / "constants" / "f").read_text() == "constants"
        assert not (tmp_path / "fresh" / "examples" / "f").exists()
    finally:
        configuration.set_hypothesis_home_dir(before)


# ---- emulator_collection -------------------------------------------------------------------------
def test_emulator_collection_arguments():
    from bench import emulator_collection as ec

    args = ec.parse_args([])
    assert args.records == [0, 2000, 20000] and args.rounds == 5 and args.label == ""
    args = ec.parse_args(["--records", "20000", "--rounds", "3", "--label", "before"])
    assert args.records == [20000] and args.rounds == 3 and args.label == "before"


@pytest.mark.parametrize("argv", [["--records", "-1"], ["--records", "x"], ["--rounds", "0"],
                                  ["--label", "a/b"]])
def test_emulator_collection_rejects_bad_arguments(argv):
    from bench import emulator_collection as ec

    with pytest.raises(SystemExit):
        ec.parse_args(argv)


def test_emulator_collection_table_and_scoped_query():
    from bench import emulator_collection as ec

    def run(count: int, scale: float) -> dict:
        return {"preloaded": count, "operations": {
            name: {"median_ms": round(scale * (i + 1), 2)} for i, name in enumerate(ec.OPERATIONS)}}

    lines = ec.render([run(0, 1.0), run(20000, 10.0)]).splitlines()
    assert "0 preloaded (ms)" in lines[0] and "20,000 preloaded (ms)" in lines[0]
    assert len(lines) == 2 + len(ec.OPERATIONS)
    assert [c.strip() for c in lines[2].split("|")[1:4]] == ["whole collection, first page",
                                                             "1.0", "10.0"]
    query = ec.scoped_query({"svm1": "u1", "svm2": "u2", "svm3": "u3"})
    assert query.startswith(common.CREDS + "?svm.uuid=u1|u2|u3&initiator=")
    assert f"{ec.NAMESPACE}*|eui.ABCD1234*|default" in query and query.endswith("fields=*")


# ---- cluster_size --------------------------------------------------------------------------------
def test_cluster_size_arguments():
    from bench import cluster_size as cs

    args = cs.parse_args([])
    assert args.records == [0, 2000, 20000] and args.latency == [0, 20]
    assert args.profile == "ci" and args.svms == ["svm1", "svm2", "svm3"]
    assert args.timeout == 1800 and args.memory_factor == 3 and args.out is None
    args = cs.parse_args(["--records", "0", "2000", "--latency", "0", "--svms", "a", "b",
                          "--timeout", "60", "--memory-factor", "0", "--out", "/tmp/x.json"])
    assert args.records == [0, 2000] and args.latency == [0] and args.svms == ["a", "b"]
    assert args.memory_factor == 0 and str(args.out) == "/tmp/x.json"


@pytest.mark.parametrize("argv", [["--records", "-1"], ["--latency", "x"], ["--timeout", "0"],
                                  ["--memory-factor", "11"], ["--profile", "huge"]])
def test_cluster_size_rejects_bad_arguments(argv):
    from bench import cluster_size as cs

    with pytest.raises(SystemExit):
        cs.parse_args(argv)


def test_cluster_size_commands_and_environment(monkeypatch):
    from bench import cluster_size as cs

    command = cs.suite_command("http://127.0.0.1:9", ["svm1", "svm2", "svm3"], "ci", Path("/r"))
    joined = " ".join(command)
    assert command[1:4] == ["-m", "pytest", str(common.ROOT / "conformance")]
    assert "-p no:cacheprovider -p bench.isolate_hypothesis --target http://127.0.0.1:9" in joined
    assert "--svm svm1 --svm svm2 --svm svm3 --hypothesis-profile ci --report-dir /r" in joined
    assert "bench.more_programs" not in joined
    more = " ".join(cs.suite_command("u", ["svm1"], "ci-x3", Path("/r"), more_programs=True))
    assert "-p bench.more_programs" in more and "--hypothesis-profile ci-x3" in more
    emulator = cs.emulator_command(Path("/t/ready.json"), 20000, 20)
    assert emulator[1:3] == ["-m", "emulator"]
    assert emulator[emulator.index("--seed") + 1].endswith("tests/safety/seed-three-iscsi.json")
    assert emulator[emulator.index("--preload") + 1] == "20000"
    assert emulator[emulator.index("--latency") + 1] == "20"
    monkeypatch.setenv("ONTAP_CONFORMANCE_TARGET", "https://elsewhere")
    monkeypatch.setenv("HYPOTHESIS_PROFILE", "nightly")
    accounts = cs.Accounts.fresh()
    assert accounts != cs.Accounts.fresh() and accounts.admin[0] == "admin"
    env = cs.child_env(accounts, BENCH_X="1")
    assert "ONTAP_CONFORMANCE_TARGET" not in env and "HYPOTHESIS_PROFILE" not in env
    assert env["ONTAP_PASSWORD"] == accounts.admin[1]
    assert env["ONTAP_READONLY_USERNAME"] == "readonly" and env["BENCH_X"] == "1"
    assert str(common.ROOT) in env["PYTHONPATH"].split(os.pathsep)


def _cs_run(records: int, latency: int, wall: float, requests: int, rss: int = 80_000) -> dict:
    return {"records": records, "latency_ms": latency, "profile": "ci", "wall_seconds": wall,
            "exit_code": 0, "timed_out": False, "verdict": "conformant", "requests": requests,
            "programs": 33, "suite_peak_rss_kib": rss, "api_requests_seen": requests,
            "bytes_to_cluster": 1_300_000, "bytes_from_cluster": 2_100_000,
            "emulator_peak_rss_kib": 40_000}


def test_cluster_size_figures_ratios_and_table():
    from bench import cluster_size as cs

    report = {"verdict": "nonconformant", "run": {"requests": 3300},
              "exploration": {"programs": 33},
              "rules": [{"id": "CRED-LIST-008", "status": "failed"}, {"id": "X", "status": "passed"}]}
    before = {"api_requests": 2, "request_bytes": 100, "response_body_bytes": 1000}
    after = {"api_requests": 3302, "request_bytes": 1_300_100, "response_body_bytes": 2_001_000}
    row = cs.figures(report, cs.Finished(0, 8.334, 74_000), before, after)
    assert row["requests"] == 3300 and row["programs"] == 33 and row["wall_seconds"] == 8.33
    assert row["api_requests_seen"] == 3300 and row["bytes_to_cluster"] == 1_300_000
    assert row["bytes_from_cluster"] == 2_000_000 and row["suite_peak_rss_kib"] == 74_000
    assert row["failed_rules"] == ["CRED-LIST-008"] and row["verdict"] == "nonconformant"
    assert cs.figures(None, cs.Finished(2, 1.0, 10, True), before, before)["verdict"] is None

    failing = cs.render([{**_cs_run(0, 0, 10.0, 3000), "verdict": "nonconformant",
                          "failed_rules": ["CRED-LIST-008"]},
                         {**_cs_run(0, 20, 1.0, 30), "verdict": None, "timed_out": True}])
    assert "nonconformant (CRED-LIST-008)" in failing and "| None " in failing
    assert "(timeout)" in failing

    runs = cs.with_ratios([_cs_run(0, 0, 10.0, 3000), _cs_run(2000, 0, 14.0, 3600),
                           _cs_run(20000, 0, 16.0, 3000), _cs_run(0, 20, 100.0, 3000),
                           _cs_run(2000, 20, 120.0, 3300)])
    assert [(r["requests_ratio"], r["wall_ratio"], r["within_targets"]) for r in runs] == [
        (1.0, 1.0, None), (1.2, 1.4, True), (1.0, 1.6, False), (1.0, 1.0, None),
        (1.1, 1.2, True)]
    memory = cs.memory_summary(_cs_run(20000, 0, 16.0, 3000, rss=80_000),
                               {**_cs_run(20000, 0, 40.0, 9000, rss=88_000), "programs": 99,
                                "profile": "ci-x3"})
    assert memory["rss_ratio"] == 1.1 and memory["programs_ratio"] == 3.0
    text = cs.render(runs, memory)
    lines = text.splitlines()
    assert "req ratio" in lines[0] and "suite peak MiB" in lines[0]
    assert len(lines) == 2 + len(runs) + 1
    assert "| NO " in lines[4] and "| yes " in lines[3]
    assert lines[-1].startswith("memory: 20,000 records, 0 ms (ci / ci-x3): 33 programs -> 78 MiB, "
                                "99 programs -> 86 MiB (ratio 1.1; verdicts conformant / "
                                "conformant)")


def test_cluster_size_reaps_a_child_with_its_peak_memory_and_interrupts_a_late_one():
    import subprocess
    import sys

    from bench import cluster_size as cs

    quick = subprocess.Popen([sys.executable, "-c", "x = bytearray(30 * 2**20)"])
    done = cs.reap(quick)
    assert done.exit_code == 0 and not done.timed_out and done.max_rss_kib > 30 * 1024
    # An xdist worker may start its children with SIGINT ignored: the child takes it back.
    slow = subprocess.Popen([sys.executable, "-c", "import signal, time; "
                             "signal.signal(signal.SIGINT, signal.default_int_handler); time.sleep(60)"])
    done = cs.reap(slow, timeout=0.5)
    assert done.timed_out and done.exit_code != 0 and done.seconds < 30


def test_more_programs_registers_a_profile_with_n_times_the_examples():
    from hypothesis import settings

    from bench import more_programs

    name = more_programs.register("ci", 3)
    assert name == "ci-x3" == more_programs.profile_name("ci", 3)
    assert settings.get_profile(name).max_examples == 3 * settings.get_profile("ci").max_examples
    assert settings.get_profile(name).derandomize == settings.get_profile("ci").derandomize
