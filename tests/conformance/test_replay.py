"""Record programs through the driver on one emulator release and replay them on another:
every step is judged again and classified (same, documented change, behaviour change, noise).

The targets are the embedded emulator as the suite starts it (``open_target``), one per release.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.judging import step_hook
from conformance.judging.driver import Driver, model_for
from conformance.judging.failures import ConformanceFailure
from conformance.judging.judge import Judge
from conformance.judging.ledger import Ledger
from conformance.targets.settings import TargetConfig
from conformance.targets.target import open_target
from conformance.upgrade import recording, recording_format
from conformance.upgrade.calibration import calibrate
from conformance.upgrade.replay import ReplaySession
from conformance.upgrade.step_classes import (
    BEHAVIOUR_CHANGE,
    DOCUMENTED_CHANGE,
    NOISE,
    NOT_REPLAYED,
    SAME,
)

PASSWORDS = ("in-Secret-0001", "0xA1b2C3d4", "0x123", "out-Secret-0002", "Zq9")


def _target(tmp_path: Path, release: str, *defects: str) -> Any:
    ledger = Ledger()
    target = open_target(TargetConfig(report_dir=tmp_path, emulator_ontap_version=release,
                                      emulator_defects=defects), ledger)
    ledger.release = target.release
    return target


@pytest.fixture(scope="module")
def targets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("targets")
    opened = {"9.10.1": _target(tmp, "9.10.1"), "9.16.1": _target(tmp, "9.16.1"),
              "defect": _target(tmp, "9.16.1", "odd-hex-password")}
    yield opened
    for target in opened.values():
        target.close()


def record(target: Any, programs: list[Any]) -> dict[str, Any]:
    """Run each program (a function of a driver and the target) with a recording armed."""
    active = recording.Recording()
    active.bind(target)
    step_hook.install(active.program)
    ledger = Ledger()
    ledger.release = target.release
    try:
        for number, program in enumerate(programs):
            active.test = f"program{number}"
            target.reset()
            client = target.client()
            driver = Driver(client, model_for(target, client), Judge(ledger), fresh_defaults=True,
                            scope=target.scope())
            program(driver, target)
            client.close()
    finally:
        step_hook.install(None)
    assert ledger.fails == {}, ledger.details
    steps = [p.as_json(active.secrets) for p in active.programs]
    return {"format": recording_format.FORMAT, "version": recording_format.VERSION, "release": ".".join(map(str, target.release)),
            "svms": [{"name": s.name, "iscsi": s.iscsi} for s in target.svms],
            "noise": calibrate(steps, target, ledger), "programs": steps}


def replay(document: dict[str, Any], target: Any, tmp_path: Path) -> tuple[ReplaySession, list[BaseException]]:
    path = tmp_path / "recording.json"
    recording_format.write(path, document)
    session = ReplaySession(path, recording_format.read(path))
    ledger = Ledger()
    ledger.release = target.release
    failures = []
    for number in range(len(session.programs)):
        try:
            session.run(number, target, ledger)
        except ConformanceFailure as exc:
            failures.append(exc)
    return session, failures


def svm(target: Any, name: str = "svm1") -> str:
    return next(s.uuid for s in target.svms if s.name == name)


def key(target: Any, label: str) -> tuple[str, str]:
    return (svm(target), f"{target.namespace}:{label}")


def create_chap(driver: Driver, target: Any) -> None:
    driver.create({"svm": {"uuid": svm(target)}, "initiator": key(target, "chap")[1], "authentication_type": "chap",
                   "chap": {"inbound": {"user": "in", "password": PASSWORDS[0]},
                            "outbound": {"user": "out", "password": PASSWORDS[1]}}})
    driver.get(key(target, "chap"))
    driver.update(key(target, "chap"), {"authentication_type": "chap", "chap": {
        "inbound": {"user": "in", "password": PASSWORDS[4]}}})


def patch_naming_the_svm(driver: Driver, target: Any) -> None:
    driver.create({"svm": {"uuid": svm(target)}, "initiator": key(target, "svm")[1], "authentication_type": "none"})
    driver.update(key(target, "svm"), {"svm": {"name": "svm1"}, "authentication_type": "deny"})
    driver.get(key(target, "svm"))


def unknown_svm(driver: Driver, target: Any) -> None:
    driver.create({"svm": {"uuid": "99999999-9999-4999-8999-999999999999"}, "initiator": key(target, "x")[1],
                   "authentication_type": "none"})


def odd_hex(driver: Driver, target: Any) -> None:
    driver.create({"svm": {"uuid": svm(target)}, "initiator": key(target, "odd")[1], "authentication_type": "chap",
                   "chap": {"inbound": {"user": "in", "password": PASSWORDS[2]}}})
    driver.create({"svm": {"uuid": svm(target)}, "initiator": key(target, "after")[1], "authentication_type": "chap",
                   "chap": {"inbound": {"user": "in", "password": PASSWORDS[3]}}})


PROGRAMS = [create_chap, patch_naming_the_svm, unknown_svm, odd_hex]


@pytest.fixture(scope="module")
def recorded(targets: dict[str, Any]) -> dict[str, Any]:
    return record(targets["9.10.1"], PROGRAMS)


def classes(session: ReplaySession, program: int) -> list[str]:
    return [step["class"] for step in session.results[program]["steps"]]


def test_the_recording_holds_no_password_and_calibrates_no_noise_on_one_emulator(recorded, tmp_path) -> None:
    path = tmp_path / "recording.json"
    recording_format.write(path, recorded)
    text = path.read_text()
    for password in PASSWORDS[:4]:  # long enough to be told apart from any other text
        assert password.lower() not in text.lower()
    # Every value under a password key is a placeholder (or a mask), the short one included.
    values = [v for k, v in _pairs(json.loads(text)) if k.lower() == "password"]
    assert len(values) >= len(PASSWORDS)
    assert all(v.startswith("<secret-") or v == "<redacted>" for v in values), values
    assert recorded["noise"]["calibrated"] is True and recorded["noise"]["fields"] == []
    assert [len(p["steps"]) for p in recorded["programs"]] == [3, 3, 1, 2]


def _pairs(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield k, v
            yield from _pairs(v)
    elif isinstance(value, list):
        for v in value:
            yield from _pairs(v)


def test_replayed_on_the_same_release_every_step_is_the_same(recorded, targets, tmp_path) -> None:
    session, failures = replay(recorded, targets["9.10.1"], tmp_path)
    assert failures == []
    assert {c for p in range(len(PROGRAMS)) for c in classes(session, p)} == {SAME}


def test_replayed_on_9_16_1_the_svm_in_a_patch_is_a_documented_change(recorded, targets, tmp_path) -> None:
    session, failures = replay(recorded, targets["9.16.1"], tmp_path)
    assert failures == []
    assert classes(session, 0) == [SAME, SAME, SAME]
    # 9.10.1 accepts an svm naming the record's own SVM; 9.15.1+ refuse it (CRED-PATCH-002).
    assert classes(session, 1) == [SAME, DOCUMENTED_CHANGE, DOCUMENTED_CHANGE]
    patch, read = session.results[1]["steps"][1:]
    assert "CRED-PATCH-002" in patch["why"] and patch["after"].endswith("400 262203")
    assert read["follows"] == 1  # the record stayed "none": it follows from the refused PATCH
    # 2621462: 404 in 9.10.1, 400 from 9.15.1 (OB-65 to OB-73): the model predicts any 4xx before 9.15.1
    # and 400 (or 404) from it, so the two releases' rule sets differ and the change is documented.
    [step] = session.results[2]["steps"]
    assert step["class"] == DOCUMENTED_CHANGE and "2621462" in step["why"]
    assert step["answers"] == "POST collection -> 404 2621462 => POST collection -> 400 2621462"
    summary = session.summary()
    assert summary["counts"][DOCUMENTED_CHANGE] == 3 and summary["changes_at_origin"][DOCUMENTED_CHANGE] == 2


def test_a_defect_in_the_new_release_is_a_behaviour_change_and_a_failure(recorded, targets, tmp_path) -> None:
    session, failures = replay(recorded, targets["defect"], tmp_path)
    assert [f.rule_ids for f in failures] == [("CRED-CHAP-004",)]
    steps = session.results[3]["steps"]
    assert [s["class"] for s in steps] == [BEHAVIOUR_CHANGE, NOT_REPLAYED]
    assert steps[0]["allowed"] is False and steps[0]["answers"].endswith("=> POST collection -> 201")
    assert "failed: CRED-CHAP-004" in steps[1]["why"]


def test_fields_that_differ_on_one_target_are_noise(recorded, targets, tmp_path) -> None:
    noisy = json.loads(json.dumps(recorded))
    noisy["noise"]["fields"] = ["POST collection status"]
    session, _ = replay(noisy, targets["9.16.1"], tmp_path)
    [step] = session.results[2]["steps"]
    assert step["class"] == NOISE


def test_every_recorded_operation_can_be_replayed_with_every_argument_it_records() -> None:
    """A step the recorder keeps must come back in a replay as it was sent: each operation
    marked ``@recorded`` is called by the replay, with each argument it records."""
    import inspect
    import re
    from pathlib import Path

    from conformance.upgrade import replay

    root = Path(__file__).resolve().parents[2] / "conformance"
    branches = dict(re.findall(r'if op == "(\w+)":\n(.*?)(?=\n    if op|\Z)', inspect.getsource(replay._call),
                               re.DOTALL))
    recorded = [(path.name, op, re.findall(r'"(\w+)"', names)) for path in root.rglob("*.py")
                for op, names in re.findall(r'@recorded\("(\w+)"((?:, "\w+")*)\)', path.read_text())]
    assert len(recorded) >= 15
    for name, op, arguments in recorded:
        assert op in branches, f"{name}: {op} is recorded but never replayed"
        for argument in arguments:
            assert f'"{argument}"' in branches[op], f"{name}: {op}'s argument {argument} is not replayed"
