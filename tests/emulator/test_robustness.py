import socket

import pytest

from tests.emulator.conftest import CREDS

BODIES = [
    b"", b"{", b"[]", b"null", b"42", b'"x"', b"\xff\xfe", b"{" * 5000 + b"}" * 5000,
    b'{"initiator": 1e999999}', b'{"initiator": ' + b"9" * 5000 + b"}", b"NaN",
    b'{"svm": "svm1", "initiator": "x", "authentication_type": "none"}',
    b'{"svm": {"name": ["svm1"]}, "initiator": "x", "authentication_type": "none"}',
    b'{"svm": {"name": "svm1"}, "initiator": ["x"], "authentication_type": "none"}',
    b'{"svm": {"name": "svm1"}, "initiator": "iqn.1992-08.a:b", "authentication_type": 7}',
    b'{"svm": {"name": "svm1"}, "initiator": "iqn.1992-08.a:b", "authentication_type": "chap",'
    b' "chap": [1]}',
    b'{"svm": {"name": "svm1"}, "initiator": "iqn.1992-08.a:b", "authentication_type": "chap",'
    b' "chap": {"inbound": {"user": true, "password": {}}}}',
    b'{"svm": {"name": "svm1"}, "initiator": "iqn.1992-08.a:b", "authentication_type": "none",'
    b' "initiator_address": {"ranges": {"start": 1}}}',
    b'{"svm": {"name": "svm1"}, "initiator": "iqn.1992-08.a:b", "authentication_type": "none",'
    b' "initiator_address": {"masks": [{"address": "10.0.0.1", "netmask": true}]}}',
    b'{"svm": {"name": "svm1"}, "initiator": "iqn.1992-08.a:b", "authentication_type": "none",'
    b' "initiator_address": {"masks": [{"address": "10.0.0.1", "netmask": 99999999999999}]}}',
    '{"svm": {"name": "\u2603"}, "initiator": "iqn.1992-08.\u00e9:b", '
    '"authentication_type": "n\u00f6ne"}'.encode(),
    b'{"svm": {"name": "svm1"}, "initiator": "\\ud800", "authentication_type": "none"}',
    b'{"svm": {"name": "svm1"}, "initiator": "iqn.1992-08.a:\\u0000", '
    b'"authentication_type": "none"}',
    b'{"svm": {"name": "svm1"}, "initiator": "' + b"a" * 200000 + b'", '
    b'"authentication_type": "none"}',
    b'{"svm": {"name": "svm1"}, "initiator": "iqn.1992-08.a:b", "authentication_type": "chap",'
    b' "chap": {"inbound": {"user": "u", "password": "\\udfff"}}}',
]


@pytest.mark.parametrize("body", BODIES)
@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE"])
def test_malformed_bodies_never_5xx(api, svm1, method, body):
    path = CREDS if method == "POST" else f"{CREDS}/{svm1}/default"
    resp = api.session.request(method, api.base + path, data=body, timeout=10,
                               headers={"content-type": "application/json"})
    assert resp.status_code < 500, resp.text
    if resp.status_code >= 400:
        assert isinstance(resp.json()["error"]["code"], str)
        assert "Traceback" not in resp.text


PATHS = [
    f"{CREDS}/%ZZ/%E0%A4", f"{CREDS}/x/y/z", f"{CREDS}/%00/%00", f"{CREDS}/{'a' * 5000}/b",
    f"{CREDS}?fields=%ZZ", f"{CREDS}?%FF=1", f"{CREDS}?fields=" + "{" * 200,
    f"{CREDS}?initiator=" + "*" * 3000, f"{CREDS}?initiator_address.masks.netmask=<<>>",
    f"{CREDS}?initiator_address.ranges.start=..", f"{CREDS}?order_by=,,,",
    f"{CREDS}?order_by=%20", f"{CREDS}?max_records=99999999999999999999", f"{CREDS}?=&&=",
    f"{CREDS}?fields=*,!svm,!!x", f"{CREDS}?initiator=%22quoted%22", f"{CREDS}?svm.uuid={{}}",
    "/api/svm/svms?name=%E2%98%83", "/api/svm/svms/%E2%98%83", "/api/%2e%2e/%2e%2e/etc",
    "/_emulator/nothing", "/api/protocols/san/iscsi/services/x?fields=zz",
]


@pytest.mark.parametrize("path", PATHS)
def test_odd_paths_and_queries_never_5xx(api, path):
    resp = api.get(path)
    assert resp.status_code < 500, resp.text


def test_raw_garbage_on_the_socket_never_5xx(emulator):
    host, port = str(emulator["url"]).split("//")[1].split(":")
    for raw in (b"GARBAGE\r\n\r\n", b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
                b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n"):
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(raw)
            reply = sock.recv(64)
        assert not reply.startswith(b"HTTP/1.1 5"), reply
