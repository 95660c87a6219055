"""The exploration collector: what it counts from the machine's steps and its driver's calls."""

from __future__ import annotations

from conformance.programs.exploration import Exploration, current, html_fragment, install
from models.outcomes import Outcome

A, B = "uuid-a", "uuid-b"
ACCEPTED = Outcome(frozenset({200}), frozenset(), ("CRED-PATCH-001",), True)
REFUSED = Outcome(frozenset({400}), frozenset({"5374149"}), ("CRED-CHAP-001",), False)


def program(exploration: Exploration, *events: tuple) -> None:
    """Run one program: ``("step", alive)`` or ``(operation, key, outcome[, pages])``."""
    exploration.program_started()
    for event in events:
        if event[0] == "step":
            exploration.step(event[1])
        elif event[0] == "list":
            exploration.observe("list", None, None, pages=event[1])
        else:
            exploration.observe(*event)
    exploration.program_finished()


def test_records_alive_overall_and_on_one_svm_per_program_and_their_maximum():
    exploration = Exploration()
    program(exploration, ("step", [(A, "x")]), ("step", [(A, "x"), (A, "y"), (B, "z")]), ("step", []))
    program(exploration, ("step", [(B, "p"), (B, "q"), (B, "r")]))
    figures = exploration.to_dict()
    assert figures["programs"] == 2 and figures["steps"] == 4
    assert figures["records_alive_per_program"] == [3, 3]
    assert figures["records_alive_on_one_svm_per_program"] == [2, 3]
    assert figures["most_records_alive"] == 3 and figures["most_records_alive_on_one_svm"] == 3


def test_writes_accepted_refused_and_undecided():
    exploration = Exploration()
    program(exploration, ("create", (A, "x"), ACCEPTED), ("update", (A, "x"), REFUSED),
            ("delete", (A, "x"), None), ("create", None, REFUSED))
    assert exploration.to_dict()["writes"] == {"accepted": 1, "refused": 2, "undecided": 1,
                                                "accepted_share": 0.333}


def test_delete_then_create_again_counts_once_per_key_and_program():
    exploration = Exploration()
    key = (A, "x")
    program(exploration, ("create", key, ACCEPTED), ("delete", key, ACCEPTED), ("create", key, ACCEPTED),
            ("delete", key, ACCEPTED), ("create", key, ACCEPTED), ("create", (B, "x"), ACCEPTED))
    program(exploration, ("create", key, ACCEPTED), ("delete", key, REFUSED), ("create", key, REFUSED))
    assert exploration.to_dict()["delete_recreate"] == 1


def test_one_initiator_alive_on_two_svms_at_once():
    exploration = Exploration()
    program(exploration, ("step", [(A, "x")]), ("step", [(B, "x")]))  # never both at once
    program(exploration, ("step", [(A, "x"), (B, "x"), (A, "y")]), ("step", [(A, "x"), (B, "x")]))
    assert exploration.to_dict()["initiators_on_two_svms"] == 1


def test_records_patched_twice_count_each_record_life_once():
    exploration = Exploration()
    key = (A, "x")
    program(exploration, ("create", key, ACCEPTED), ("update", key, ACCEPTED), ("update", key, REFUSED),
            ("update", (A, "y"), ACCEPTED), ("update", key, ACCEPTED), ("update", key, ACCEPTED),
            ("delete", key, ACCEPTED), ("create", key, ACCEPTED), ("update", key, ACCEPTED),
            ("update", key, ACCEPTED))
    assert exploration.to_dict()["records_patched_twice"] == 2


def test_default_changes_and_page_chains():
    exploration = Exploration()
    program(exploration, ("update", (A, "default"), ACCEPTED), ("update", (A, "default"), REFUSED),
            ("list", 2), ("list", 3), ("list", 7))
    figures = exploration.to_dict()
    assert figures["default_changes"] == 1
    assert (figures["paged_reads"], figures["paged_reads_of_3_or_more_pages"], figures["most_pages"]) == (3, 2, 7)


def test_the_program_running_counts_in_the_figures():
    exploration = Exploration()
    exploration.program_started()
    exploration.step([(A, "x"), (A, "y")])
    assert exploration.to_dict()["records_alive_on_one_svm_per_program"] == [2]
    exploration.program_started()  # the previous program is folded in once
    assert exploration.to_dict()["records_alive_on_one_svm_per_program"] == [2, 0]


def test_html_fragment_shows_every_figure_and_is_empty_without_programs():
    exploration = Exploration()
    program(exploration, ("step", [(A, "x")]), ("create", (A, "x"), ACCEPTED), ("list", 4))
    text = html_fragment(exploration.to_dict())
    assert "State-machine exploration" in text
    for label in ("most records alive on one SVM", "1 / 0 (100% accepted)", "1 of 1 (at most 4 pages)",
                  "one initiator on two SVMs", "changes of the default credential"):
        assert label in text
    assert html_fragment(Exploration().to_dict()) == "" and html_fragment(None) == ""


def test_the_session_collector_is_installed_and_replaced():
    mine = Exploration()
    install(mine)
    try:
        assert current() is mine
    finally:
        install(None)
    assert current() is not mine


# ---- in the reports (the hunks in conformance/reports/run_report.py) ----------------------------------------
def test_the_json_report_and_the_html_summary_carry_the_exploration():
    from conformance.judging.ledger import Ledger
    from conformance.reports.html_summary import html_summary
    from conformance.reports.run_report import RunInfo, build_report

    mine = Exploration()
    program(mine, ("step", [(A, "x"), (A, "y")]), ("create", (A, "y"), ACCEPTED))
    install(mine)
    try:
        document = build_report(Ledger(), RunInfo(url=None, kind="emulator", ontap_version=None, started="s"))
    finally:
        install(None)
    assert document["exploration"] == mine.to_dict()
    assert document["exploration"]["most_records_alive_on_one_svm"] == 2
    assert "State-machine exploration" in "\n".join(html_summary(document))


def test_the_step_program_is_cut_from_the_failing_test_case_block():
    """Hypothesis 6.1xx heads the shrunk program "Failing test case", not "Falsifying example"."""
    from conformance.reports.step_program import step_program

    text = """    | conformance.judging.failures.ConformanceFailure[CRED-PATCH-001]: CRED-PATCH-001 ...
    | Failing test case: <state machine>
    | state = CredentialsMachine()
    | existing_0 = state.seed_credentials(name='iqn.2000-01.a:b')
    | state.update_credentials(key=existing_0, change=({'authentication_type': 'deny'}, {}))
    | state.teardown()
    +------------------------------------"""
    program = step_program(text)
    assert program.startswith("Failing test case: <state machine>\nstate = CredentialsMachine()")
    assert program.rstrip().endswith("state.teardown()")
