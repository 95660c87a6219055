import shlex

import pytest

from conformance.targets.safety import UnsafeOperation
from conformance.wire.client import Client, Exchange, TargetUnreachable, record_path
from conformance.wire.redaction import REDACTOR
from tests.conformance.conftest import PASSWORD, USERNAME

CRED = "/api/protocols/san/iscsi/credentials"


def make_client(app, **kwargs):
    return Client(app.url, username=USERNAME, password=PASSWORD, **kwargs)


def test_params_are_percent_encoded(fake_ontap):
    client = make_client(fake_ontap)
    client.request("GET", CRED, params={"initiator": "iqn.*|eui.*", "fields": "a b"})
    assert fake_ontap.log[-1][1] == f"{CRED}?initiator=iqn.%2A%7Ceui.%2A&fields=a%20b"


def test_requests_are_counted_and_summarised(fake_ontap):
    client = make_client(fake_ontap)
    exchange = client.request("GET", "/api/cluster")
    assert client.requests_sent == 1
    assert exchange.summary() == "GET /api/cluster -> 200"
    assert exchange.response_json["version"]["full"].startswith("NetApp Release")


def test_passwords_are_registered_before_sending(fake_ontap, monkeypatch):
    seen = []
    monkeypatch.setattr(REDACTOR, "register", lambda secret: seen.append(secret))
    client = make_client(fake_ontap)
    client.request("POST", CRED, json={"svm": {"name": "vs1"}, "initiator": "iqn.2000-01.a:b",
                                       "authentication_type": "chap",
                                       "chap": {"inbound": {"user": "u", "password": "pw-1"}}})
    assert "pw-1" in seen


def test_journal_records_before_the_create_is_sent(fake_ontap):
    order = []

    class Journal:
        def record(self, svm_ref, initiator):
            order.append(("journal", svm_ref, initiator, len(fake_ontap.log)))

    client = make_client(fake_ontap, journal=Journal())
    client.request("POST", CRED, json={"svm": {"name": "vs1"}, "initiator": "iqn.2000-01.a:b",
                                       "authentication_type": "none"})
    assert order == [("journal", {"name": "vs1"}, "iqn.2000-01.a:b", 0)]
    assert len(fake_ontap.log) == 1


def test_guard_vetoes_patch_and_delete(fake_ontap):
    calls = []

    def guard(path, params=None):
        calls.append(path)
        raise UnsafeOperation("no")

    client = make_client(fake_ontap, guard=guard)
    path = record_path("u-1", "iqn.2000-01.a:b")
    for method in ("PATCH", "DELETE"):
        with pytest.raises(UnsafeOperation):
            client.request(method, path, json={} if method == "PATCH" else None)
    assert calls == [path, path]
    assert fake_ontap.log == []


def test_unreachable_target_raises_one_clear_error():
    client = Client("http://127.0.0.1:9", username="u", password="p", timeout=2)
    with pytest.raises(TargetUnreachable, match=r"GET http://127.0.0.1:9/api/cluster"):
        client.request("GET", "/api/cluster")


def test_record_path_encodes_the_initiator():
    assert record_path("u", "iqn.2000-01.a:b/c") == f"{CRED}/u/iqn.2000-01.a%3Ab%2Fc"


def _exchange(**overrides):
    fields = {"method": "POST", "url": "https://cluster/api/protocols/san/iscsi/credentials",
                  "path": CRED, "params": None,
                  "request_json": {"initiator": "iqn.2000-01.a:b", "chap": {
                      "inbound": {"user": "u", "password": "<redacted>"},
                      "outbound": {"user": "o", "password": "<redacted>"}}},
                  "status": 201, "response_headers": {}, "response_text": "", "response_json": None,
                  "elapsed": 0.01}
    fields.update(overrides)
    return Exchange(**fields)


def test_curl_uses_placeholders_and_env_credentials():
    curl = _exchange().as_curl()
    words = shlex.split(curl)
    assert words[:4] == ["curl", "-sS", "-X", "POST"]
    assert "$ONTAP_USERNAME:$ONTAP_PASSWORD" in curl
    assert "<chap-inbound-password>" in curl
    assert "<chap-outbound-password>" in curl
    assert "--insecure" not in words
    assert "--insecure" in shlex.split(_exchange(insecure=True).as_curl())


def test_curl_of_a_real_exchange_has_no_secret(fake_ontap):
    client = make_client(fake_ontap, verify=False)
    exchange = client.request("POST", CRED, json={
        "svm": {"name": "vs1"}, "initiator": "iqn.2000-01.a:b", "authentication_type": "chap",
        "chap": {"inbound": {"user": "u", "password": "never-print-me"}}})
    curl = exchange.as_curl()
    assert "never-print-me" not in curl
    assert PASSWORD not in curl
    assert "--insecure" in curl
    assert "<chap-inbound-password>" in curl


def test_rate_limit_spaces_requests(fake_ontap):
    import time

    client = make_client(fake_ontap, rate_limit=20)
    started = time.monotonic()
    for _ in range(5):
        client.request("GET", "/api/cluster")
    assert time.monotonic() - started >= 0.19
