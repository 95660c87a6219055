"""Auth on every route of the app's own route table (control endpoints and unknown paths
included): 401 without or with wrong credentials, 403 code "6" for the read-only user on
every write, 200 on its reads; with --tls, only TLS is served."""

from __future__ import annotations

import socket
import ssl

import pytest
import requests
from starlette.routing import Route

from emulator.app import Settings, build_starlette
from emulator.defects import Defects
from emulator.state import Backend, default_seed
from tests.emulator.conftest import AUTH, CREDS, READONLY, start_emulator, stop

READS = {"GET", "HEAD"}
SVM1 = default_seed()[0].uuid
VALUES = {"uuid": SVM1, "svm_uuid": SVM1, "initiator": "default"}


def route_table() -> list[tuple[str, str]]:
    """(method, concrete path) for every route and method the app declares."""
    app = build_starlette(Backend(default_seed(), Defects()), Settings())
    calls = []
    for route in app.routes:
        assert isinstance(route, Route)
        path = route.path.format(**{k: VALUES[k] for k in route.param_convertors})
        calls += [(m, path) for m in sorted(route.methods or ()) if m != "HEAD"]
    return calls


ROUTES = route_table()
UNKNOWN = [("GET", "/"), ("GET", "/api"), ("POST", "/api/nothing"), ("DELETE", "/_emulator"),
           ("PUT", CREDS), ("GET", "/_emulator/nothing"), ("PATCH", "/api/cluster")]
WRITES = [(m, p) for m, p in ROUTES if m not in READS]
BAD_AUTH = [None, ("admin", "wrong"), ("nobody", "netapp1!"), ("readonly", "netapp1!"),
            ("admin", ""), ("", "")]


def test_route_table_is_complete():
    assert {p for _, p in ROUTES} >= {"/_emulator/health", "/_emulator/reset", CREDS}
    assert len(WRITES) >= 6


@pytest.mark.parametrize("auth", BAD_AUTH, ids=str)
@pytest.mark.parametrize(("method", "path"), ROUTES + UNKNOWN)
def test_401_on_every_route(emulator, method, path, auth):
    resp = requests.request(method, str(emulator["url"]) + path, auth=auth, timeout=10,
                            json={"svm": {"name": "svm1"}, "initiator": "x"})
    assert resp.status_code == 401, resp.text
    assert resp.headers["www-authenticate"].startswith("Basic")
    assert set(resp.json()["error"]) >= {"code", "message"}


@pytest.mark.parametrize("header", ["Bearer abc", "Basic", "Basic !!!", "Basic YWRtaW4=",
                                    "basic " + "A" * 10000, "Digest username=admin"])
def test_401_on_malformed_authorization(emulator, header):
    resp = requests.get(str(emulator["url"]) + CREDS, headers={"authorization": header},
                        timeout=10)
    assert resp.status_code == 401


@pytest.mark.parametrize(("method", "path"), [*WRITES, ("PUT", CREDS), ("POST", "/api/x")])
def test_readonly_gets_403_code_6_on_every_write(api, method, path):
    before = api.get(CREDS).json()
    resp = requests.request(method, api.base + path, auth=READONLY, timeout=10,
                            json={"svm": {"name": "svm1"}, "initiator": "iqn.1992-08.a:b",
                                  "authentication_type": "deny"})
    assert resp.status_code == 403, resp.text
    assert resp.json()["error"]["code"] == "6"
    assert api.get(CREDS).json() == before


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p in ROUTES if m in READS])
def test_readonly_reads_everything(api, method, path):
    resp = requests.request(method, api.base + path, auth=READONLY, timeout=10)
    assert resp.status_code == 200, resp.text


def test_tls_serves_only_tls(tmp_path):
    proc, info = start_emulator(tmp_path, "--tls", "--ca-file-dir", str(tmp_path / "ca"))
    try:
        base = str(info["url"])
        host, port = base.split("//")[1].rsplit(":", 1)
        plain = "http://" + base.split("//")[1]
        with pytest.raises(requests.ConnectionError):
            requests.get(plain + CREDS, auth=AUTH, timeout=5)
        # by hand too: whatever comes back is no HTTP answer
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(b"GET /api/cluster HTTP/1.1\r\nHost: x\r\n\r\n")
            try:
                reply = sock.recv(64)
            except (ConnectionError, TimeoutError):
                reply = b""
        assert not reply.startswith(b"HTTP/"), reply
        ok = requests.get(base + CREDS, auth=AUTH, verify=str(info["ca_file"]), timeout=5)
        assert ok.status_code == 200
        denied = requests.get(base + CREDS, verify=str(info["ca_file"]), timeout=5)
        assert denied.status_code == 401
        context = ssl.create_default_context(cafile=str(info["ca_file"]))
        with socket.create_connection((host, int(port)), timeout=5) as raw, \
                context.wrap_socket(raw, server_hostname=host) as tls_sock:
            assert tls_sock.version() in ("TLSv1.2", "TLSv1.3")
    finally:
        code, _, err = stop(proc)
    assert code == 0 and "Traceback" not in err
