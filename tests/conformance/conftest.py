import threading

import pytest

from tests.conformance.fake_ontap import FakeOntap, make_server

USERNAME = "admin"
PASSWORD = "fake-admin-Pa55word"


@pytest.fixture
def fake_ontap():
    app = FakeOntap(USERNAME, PASSWORD)
    server = make_server(app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    app.url = f"http://{host}:{port}"
    yield app
    server.shutdown()
    server.server_close()
