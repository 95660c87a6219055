import json
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.judging.ledger import Ledger
from conformance.targets.journal import Journal, read_journal, sweep
from conformance.targets.safety import UnsafeOperation
from conformance.targets.settings import TargetConfig
from conformance.targets.target import TargetError, open_target
from conformance.wire.client import CREDENTIALS_PATH, Client, record_path
from tests.conformance.conftest import PASSWORD, USERNAME

VS1 = "11111111-0000-0000-0000-000000000001"
VS2 = "11111111-0000-0000-0000-000000000002"
REPO = Path(__file__).resolve().parents[2]
FOREIGN = "iqn.1998-01.com.vmware:esx-host-7"


def seed_foreign(app):
    app.records[(VS1, FOREIGN)] = {"svm": {"uuid": VS1, "name": "vs1"}, "initiator": FOREIGN,
                                   "authentication_type": "deny"}


def live_config(app, tmp_path, **overrides):
    values = {"url": app.url, "svms": ("vs1", "vs3"), "report_dir": tmp_path,
              "username": USERNAME, "password": PASSWORD}
    values.update(overrides)
    return TargetConfig(**values)


def client_for(app):
    return Client(app.url, username=USERNAME, password=PASSWORD)


def test_journal_lines_are_written_before_return(tmp_path):
    journal = Journal(tmp_path, "abcd1234", "https://c")
    journal.record({"name": "vs1"}, "iqn.2000-01.a:b")
    journal.record({"uuid": "u-1", "name": "vs1"}, "eui.0123456789ABCDEF")
    lines = [json.loads(x) for x in journal.path.read_text().splitlines()]
    assert journal.path.name == "journal-abcd1234.jsonl"
    assert lines[0]["run"] == "abcd1234" and lines[0]["target"] == "https://c"
    assert lines[1] == {"initiator": "iqn.2000-01.a:b", "svm_name": "vs1"}
    assert lines[2] == {"initiator": "eui.0123456789ABCDEF", "svm_name": "vs1", "svm_uuid": "u-1"}


def test_a_torn_last_line_is_ignored(tmp_path):
    path = tmp_path / "journal-x.jsonl"
    path.write_text('{"run": "x", "target": "t"}\n{"initiator": "a", "svm_uuid": "u"}\n{"initi')
    header, entries = read_journal(path)
    assert header["run"] == "x"
    assert entries == [{"initiator": "a", "svm_uuid": "u"}]


def test_sweep_deletes_exactly_the_journaled_records_that_exist(fake_ontap, tmp_path):
    seed_foreign(fake_ontap)
    client = client_for(fake_ontap)
    journal = Journal(tmp_path, "r1", fake_ontap.url)
    for initiator in ("iqn.2000-01.org.conformance.r1:a", "iqn.2000-01.org.conformance.r1:b"):
        journal.record({"name": "vs1"}, initiator)
        client.request("POST", CREDENTIALS_PATH, json={
            "svm": {"name": "vs1"}, "initiator": initiator, "authentication_type": "none"})
    journal.record({"uuid": VS2}, "iqn.2000-01.org.conformance.r1:never-created")
    journal.record({"uuid": VS1}, "default")
    journal.close()
    actions = sweep(journal.path, client)
    assert sorted(a.split()[0] for a in actions) == ["absent", "deleted", "deleted"]
    assert set(fake_ontap.records) == {(VS1, "default"), (VS2, "default"), (VS1, FOREIGN)}


def test_a_sweep_reads_back_what_it_deleted_and_fails_a_delete_not_applied(fake_ontap, tmp_path):
    client = client_for(fake_ontap)
    journal = Journal(tmp_path, "r2", fake_ontap.url)
    journal.record({"uuid": VS1}, "iqn.2000-01.org.conformance.r2:kept")
    client.request("POST", CREDENTIALS_PATH, json={
        "svm": {"uuid": VS1}, "initiator": "iqn.2000-01.org.conformance.r2:kept", "authentication_type": "none"})
    journal.close()
    fake_ontap.defects = ("delete-not-applied",)
    [action] = sweep(journal.path, client)
    assert action.startswith("FAILED") and "still present after a DELETE that answered 200 (CRED-DEL-001)" in action


def test_live_target_guards_foreign_records_and_cleans_up(fake_ontap, tmp_path):
    seed_foreign(fake_ontap)
    ledger = Ledger()
    target = open_target(live_config(fake_ontap, tmp_path), ledger)
    assert target.kind == "live"
    assert target.ontap_version == "NetApp Release 9.10.1 (fake)"
    assert [(s.name, s.iscsi) for s in target.svms] == [("vs1", True), ("vs3", False)]
    assert target.namespace.startswith("iqn.2000-01.org.conformance.r")
    assert len(target.eui_prefix) == 8
    client = target.client()
    mine = f"{target.namespace}:host-1"
    assert client.request("POST", CREDENTIALS_PATH, json={
        "svm": {"name": "vs1"}, "initiator": mine, "authentication_type": "none"}).status == 201
    assert (VS1, mine) in fake_ontap.records
    assert client.request("PATCH", record_path(VS1, mine),
                          json={"authentication_type": "deny"}).status == 200
    with pytest.raises(UnsafeOperation):
        client.request("DELETE", record_path(VS1, FOREIGN))
    with pytest.raises(UnsafeOperation):
        client.request("PATCH", record_path(VS1, "default"), json={"authentication_type": "deny"})
    with pytest.raises(UnsafeOperation):
        client.request("POST", CREDENTIALS_PATH, json={
            "svm": {"name": "vs1"}, "initiator": FOREIGN, "authentication_type": "none"})
    assert not target.may_modify(VS1, FOREIGN)
    assert target.may_modify(VS2, f"{target.namespace}:missing")
    journal_path = target.journal.path
    assert mine in journal_path.read_text()
    target.reset()
    assert (VS1, mine) not in fake_ontap.records
    client.request("POST", CREDENTIALS_PATH, json={
        "svm": {"uuid": VS1}, "initiator": f"{target.namespace}:host-2",
        "authentication_type": "none"})
    target.close()
    assert set(fake_ontap.records) == {(VS1, "default"), (VS2, "default"), (VS1, FOREIGN)}
    assert fake_ontap.records[(VS1, FOREIGN)]["authentication_type"] == "deny"
    assert not journal_path.exists()
    assert ledger.safety == []
    # Live safety is reported apart: it never credits a rule of the catalog.
    assert ledger.rule_status("CRED-SVM-005") == "not_exercised"
    assert ledger.request_count > 5


def test_a_foreign_record_changed_by_someone_else_is_foreign_activity(fake_ontap, tmp_path):
    seed_foreign(fake_ontap)
    ledger = Ledger()
    target = open_target(live_config(fake_ontap, tmp_path), ledger)
    fake_ontap.records[(VS1, FOREIGN)]["authentication_type"] = "none"  # someone else's bug
    target.close()
    # Another client's change is foreign activity: observed and reported, never blamed.
    assert ledger.rule_status("CRED-SVM-005") == "not_exercised"
    assert ledger.safety == []
    [change] = ledger.foreign_activity
    assert change["change"] == "changed or gone" and "changed (authentication_type)" in change["detail"]


def test_default_changes_need_opt_in_and_are_restored(fake_ontap, tmp_path):
    target = open_target(live_config(fake_ontap, tmp_path, allow_default_changes=True), Ledger())
    assert target.default_changeable(VS1)
    client = target.client()
    assert client.request("PATCH", record_path(VS1, "default"),
                          json={"authentication_type": "deny"}).status == 200
    target.reset()
    assert fake_ontap.records[(VS1, "default")]["authentication_type"] == "none"
    target.close()


def test_a_chap_default_is_never_changed(fake_ontap, tmp_path):
    fake_ontap.records[(VS1, "default")]["authentication_type"] = "chap"
    target = open_target(live_config(fake_ontap, tmp_path, allow_default_changes=True), Ledger())
    assert not target.default_changeable(VS1)
    target.close()


def test_object_cap_refuses_creates(fake_ontap, tmp_path):
    target = open_target(live_config(fake_ontap, tmp_path, max_objects=2), Ledger())
    client = target.client()
    for index in range(2):
        client.request("POST", CREDENTIALS_PATH, json={
            "svm": {"uuid": VS1}, "initiator": f"{target.namespace}:h{index}",
            "authentication_type": "none"})
    with pytest.raises(UnsafeOperation, match="max-objects"):
        client.request("POST", CREDENTIALS_PATH, json={
            "svm": {"uuid": VS1}, "initiator": f"{target.namespace}:h9",
            "authentication_type": "none"})
    target.close()


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda cfg, app: {"svms": ("nosuch",)}, "SVM 'nosuch' not found"),
    (lambda cfg, app: {"password": "wrong"}, "refused the credentials"),
    (lambda cfg, app: {"url": "http://127.0.0.1:9"}, "cannot reach http://127.0.0.1:9"),
])
def test_bad_targets_stop_with_one_line(fake_ontap, tmp_path, mutate, message):
    config = live_config(fake_ontap, tmp_path)
    with pytest.raises(TargetError, match=message) as info:
        open_target(live_config(fake_ontap, tmp_path, **mutate(config, fake_ontap)), Ledger())
    assert "\n" not in str(info.value)
    assert "wrong" not in str(info.value)


def test_killed_run_is_swept_from_the_command_line(fake_ontap, tmp_path):
    seed_foreign(fake_ontap)
    target = open_target(live_config(fake_ontap, tmp_path), Ledger())
    client = target.client()
    for index in range(3):
        client.request("POST", CREDENTIALS_PATH, json={
            "svm": {"name": "vs1"}, "initiator": f"{target.namespace}:h{index}",
            "authentication_type": "none"})
    journal_path = target.journal.path  # the run is "killed" here: no close()
    env = {"ONTAP_USERNAME": USERNAME, "ONTAP_PASSWORD": PASSWORD, "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--sweep={journal_path}"],
        capture_output=True, text=True, env=env, timeout=60, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("sweep: deleted") == 3
    assert PASSWORD not in result.stdout + result.stderr
    assert set(fake_ontap.records) == {(VS1, "default"), (VS2, "default"), (VS1, FOREIGN)}
    assert not journal_path.exists()
