"""Recordings keep no password: shapes, placeholders, fresh passwords, and field diffs."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.programs import strategies as gen
from conformance.upgrade.differences import differences, noise_keys
from conformance.upgrade.normaliser import Normaliser
from conformance.upgrade.password_shapes import Secrets, shape_of
from conformance.upgrade.recording_format import FORMAT, VERSION, RecordingError, read, write
from conformance.wire.redaction import MASK
from models.chap import password_violations

SVM1, SVM2 = "11111111-0000-0000-0000-000000000001", "11111111-0000-0000-0000-000000000002"
NAMESPACE, EUI = "iqn.2000-01.org.conformance.rdeadbeef", "0A1B2C3D"


def normaliser(secrets: Secrets | None = None) -> Normaliser:
    return Normaliser({SVM1: "svm1", SVM2: "svm2"}, NAMESPACE, EUI, secrets or Secrets())


def test_a_shape_keeps_the_prefix_and_the_class_of_every_character() -> None:
    assert shape_of("0x1a2B") == ("0x", "1d1h1d1H")
    assert shape_of("0Xabc") == ("0X", "3h")
    assert shape_of("Pass word-1ü€") == ("plain", "1L1h2l1s3l1h1p1d1w1t")  # a and d are hex letters
    assert shape_of("x") == ("plain", "1l")


@given(st.one_of(gen.chap_secrets(), gen.invalid_hex_secrets(), st.text(min_size=1, max_size=30)))
@settings(max_examples=300)
def test_a_fresh_password_has_the_shape_and_the_verdict_of_the_recorded_one(password: str) -> None:
    recorded = Secrets()
    placeholder = recorded.placeholder(password)
    assert placeholder != password and (len(password) < 6 or password not in placeholder)
    fresh = Secrets().fresh(placeholder)
    assert shape_of(fresh) == shape_of(password)
    assert len(fresh.encode("utf-8", "surrogatepass")) == len(password.encode("utf-8", "surrogatepass"))
    # The model judges the fresh password exactly as the recorded one (hex form, odd length, bytes).
    assert [v.rule for v in password_violations(fresh, "in")] == [v.rule for v in password_violations(password, "in")]


def test_equal_passwords_stay_equal_and_case_twins_stay_twins() -> None:
    recorded = Secrets()
    a, again, twin, other = (recorded.placeholder(p) for p in ("0xabCD12", "0xabCD12", "0xABcd12", "0xabcd34"))
    assert a == again and a != twin and a != other
    assert a.split("-")[1][:-1] == twin.split("-")[1][:-1]  # the same group, another variant
    replay = Secrets()
    fresh_a, fresh_twin, fresh_other = replay.fresh(a), replay.fresh(twin), replay.fresh(other)
    assert replay.fresh(a) == fresh_a
    assert fresh_a.lower() == fresh_twin.lower() and fresh_a != fresh_twin
    assert fresh_a.lower() != fresh_other.lower()
    assert "0xabcd12" not in (fresh_a.lower(), fresh_other.lower())


def test_an_odd_hex_secret_stays_odd_and_a_plain_one_never_turns_hex() -> None:
    replay = Secrets()
    odd = replay.fresh(Secrets().placeholder("0x12345"))
    assert odd.startswith("0x") and len(odd) == 7
    for _ in range(200):
        plain = Secrets().fresh(Secrets().placeholder("0y"))
        assert not plain.lower().startswith("0x")


def test_normalising_replaces_svms_namespace_eui_and_every_password() -> None:
    norm = normaliser()
    body = {"svm": {"uuid": SVM1, "name": "svm1"}, "initiator": f"{NAMESPACE}:host-1",
            "chap": {"inbound": {"user": "in", "password": "s3cret-Pass"}},
            "other": [f"eui.{EUI}00000001", f"eui.{EUI.lower()}00000002", "org.conformance.rdeadbeef"]}
    norm.register(body)
    out = norm.value(body)
    assert out["svm"] == {"uuid": "<svm:svm1>", "name": "svm1"}
    assert out["initiator"] == "<ns>:host-1"
    assert out["chap"]["inbound"]["password"].startswith("<secret-1a-plain-")
    assert out["other"] == ["eui.<EUI>00000001", "eui.<eui>00000002", "<ns-authority>"]
    # A password inside free text (an echo, or an initiator equal to it) is replaced too.
    assert norm.text("echo: S3CRET-PASS!") .startswith("echo: <secret-1b-plain-")
    assert "s3cret" not in json.dumps(out).lower()


def test_short_passwords_and_words_of_the_api_are_replaced_only_as_password_values() -> None:
    norm = normaliser()
    for word in ("user", "svms", "abc", "1234", "svm1"):
        norm.register({"password": word})
    text = "/api/svm/svms/x user abc 1234 svm1"
    assert norm.text(text) == text
    assert norm.value({"password": "user"})["password"].startswith("<secret-")


def test_a_replay_restores_this_targets_values_and_fresh_passwords() -> None:
    recorded = normaliser()
    body = {"svm": {"uuid": SVM2}, "initiator": f"{NAMESPACE}:abcdefgh",
            "chap": {"inbound": {"user": "u", "password": "abcdefgh"}}}
    recorded.register(body)
    stored = recorded.value(body)
    assert stored["initiator"] == "<ns>:" + stored["chap"]["inbound"]["password"]
    other = Normaliser({"u-9": "svm2"}, "iqn.2000-01.org.conformance.r01234567", "99AA88BB", Secrets())
    sent = other.restore(stored)
    assert sent["svm"]["uuid"] == "u-9"
    fresh = sent["chap"]["inbound"]["password"]
    assert fresh != "abcdefgh" and shape_of(fresh) == shape_of("abcdefgh")
    assert sent["initiator"] == f"iqn.2000-01.org.conformance.r01234567:{fresh}"  # the relation holds
    assert other.value(sent) == stored  # and normalises back to what was recorded
    with pytest.raises(RecordingError, match="SVM 'svm1'"):
        other.restore({"svm": {"uuid": "<svm:svm1>"}})


def test_a_masked_request_password_is_no_secret() -> None:
    norm = normaliser()
    assert norm.value({"password": MASK}) == {"password": MASK}
    assert norm.secrets.known() == []


def _exchange(status: int, body: object, *, path: str = "/api/protocols/san/iscsi/credentials") -> dict:
    return {"request": {"method": "GET", "path": path}, "status": status, "code": None, "headers": {}, "body": body}


def test_differences_name_each_field_and_a_mask_hides_only_what_it_covers() -> None:
    before = [_exchange(200, {"records": [{"initiator": "a", "chap": {"inbound": {"user": "flip-out"}}}]})]
    masked = [_exchange(200, {"records": [{"initiator": "a", "chap": {"inbound": {"user": f"fli{MASK}"}}}]})]
    assert differences(before, masked) == []
    changed = [_exchange(200, {"records": [{"initiator": "b", "chap": {"inbound": {"user": f"flo{MASK}"}}}]})]
    found = differences(before, changed)
    assert [d.path for d in found] == ["body.records[0].chap.inbound.user", "body.records[0].initiator"]
    assert found[0].noise_key == "GET collection body.records[].chap.inbound.user"
    assert [d.path for d in differences(before, [])] == ["(exchange)"]
    assert noise_keys([(before, changed), (before, before)]) == sorted({d.noise_key for d in found})


def test_reading_a_recording_fails_with_one_line(tmp_path) -> None:
    cases = {"missing.json": None, "text.json": "not json", "other.json": json.dumps({"format": "x"}),
             "old.json": json.dumps({"format": FORMAT, "version": 0, "programs": []}),
             "bad.json": json.dumps({"format": FORMAT, "version": VERSION, "programs": [{"steps": 3}]})}
    for name, text in cases.items():
        path = tmp_path / name
        if text is not None:
            path.write_text(text)
        with pytest.raises(RecordingError) as info:
            read(path)
        assert "\n" not in str(info.value) and name in str(info.value)


def test_a_written_recording_reads_back(tmp_path) -> None:
    document = {"format": FORMAT, "version": VERSION, "release": "9.10.1",
                "programs": [{"test": "t", "steps": [{"op": "get", "args": {"key": ["<svm:svm1>", "<ns>:a"]}}]}]}
    write(tmp_path / "r.json", document)
    assert read(tmp_path / "r.json") == document


def test_foreign_records_are_left_out_of_a_collection() -> None:
    norm = Normaliser({SVM1: "svm1"}, NAMESPACE, EUI, Secrets(),
                      foreign=lambda key: not key[1].startswith(NAMESPACE))
    exchange = SimpleNamespace(
        method="GET", path="/api/protocols/san/iscsi/credentials", params={"fields": "*"}, status=200,
        response_headers={"Date": "now", "Content-Type": "application/json", "X-Dot-Ttag": "0f0f"},
        request_json=None, response_text="",
        response_json={"num_records": 2, "records": [{"svm": {"uuid": SVM1}, "initiator": f"{NAMESPACE}:mine"},
                                                     {"svm": {"uuid": SVM1}, "initiator": "iqn.1998-01.com.vmware:x"}]})
    observed = norm.exchange(exchange)
    assert observed["body"] == {"num_records": 1, "records": [{"svm": {"uuid": "<svm:svm1>"}, "initiator": "<ns>:mine"}]}
    assert observed["headers"] == {"content-type": "application/json"}
