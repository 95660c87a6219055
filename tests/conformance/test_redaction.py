import json

import pytest

from conformance.wire.client import Client, Exchange
from conformance.wire.redaction import MASK, Redactor
from tests.conformance.conftest import PASSWORD, USERNAME


@pytest.fixture
def redactor():
    return Redactor()


def test_registered_secret_is_masked_everywhere_in_text(redactor):
    redactor.register("hunter2hunter2")
    assert redactor.redact_text("x hunter2hunter2 y") == f"x {MASK} y"


def test_longest_secret_wins(redactor):
    redactor.register("abcd")
    redactor.register("abcdefgh")
    assert redactor.redact_text("abcdefgh") == MASK


def test_hex_secret_is_masked_in_either_case(redactor):
    redactor.register("0xABCDEF12")
    assert "abcdef12" not in redactor.redact_text("echo 0xabcdef12").lower()


def test_empty_secret_is_ignored(redactor):
    redactor.register("")
    redactor.register(None)
    assert redactor.redact_text("plain text") == "plain text"


def test_short_secret_is_masked_as_a_password_value_only(redactor):
    redactor.register("ab")
    assert redactor.redact_text('{"password": "ab"}') == f'{{"password": "{MASK}"}}'
    assert redactor.redact_text("state.create(inbound_password='ab')") == (
        f"state.create(inbound_password='{MASK}')")
    assert redactor.redact_text("tab") == "tab"


@pytest.mark.parametrize("text", [
    "Authorization: Basic YWRtaW46c2VjcmV0",
    "{'Authorization': 'Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig'}",
    '"authorization": "Basic YWRtaW46c2VjcmV0"',
])
def test_auth_header_values_are_masked(redactor, text):
    redacted = redactor.redact_text(text)
    assert "YWRtaW46c2VjcmV0" not in redacted
    assert "eyJhbGci" not in redacted
    assert MASK in redacted


def test_basic_auth_token_is_registered_with_the_password(redactor):
    redactor.register_basic_auth("admin", "s3cretpass")
    assert redactor.redact_text("token YWRtaW46czNjcmV0cGFzcw==") == f"token {MASK}"


def test_redact_json_masks_password_keys_at_any_depth_and_case(redactor):
    redactor.register("outbound-secret")
    data = {"chap": {"inbound": {"user": "u", "password": "p"},
                     "outbound": {"user": "o", "Password": "q"}},
            "records": [{"PASSWORD": 1}], "note": "outbound-secret leaked"}
    redacted = redactor.redact_json(data)
    assert redacted["chap"]["inbound"] == {"user": "u", "password": MASK}
    assert redacted["chap"]["outbound"]["Password"] == MASK
    assert redacted["records"][0]["PASSWORD"] == MASK
    assert redacted["note"] == f"{MASK} leaked"
    assert data["chap"]["inbound"]["password"] == "p"


def test_many_registered_secrets_stay_fast(redactor):
    for index in range(20000):
        redactor.register(f"generated-secret-{index:05d}")
    text = "x" * 5000 + " generated-secret-12345 "
    assert redactor.redact_text(text).endswith(f" {MASK} ")


CHAP_IN = "inbound-chap-Secret-1"
CHAP_OUT = "0xABCDEF0123456789"


def test_echoed_password_never_reaches_printable_fields(fake_ontap):
    fake_ontap.defects = ("echo-password",)
    client = Client(fake_ontap.url, username=USERNAME, password=PASSWORD, verify=False)
    body = {"svm": {"name": "vs1"}, "initiator": "iqn.2000-01.com.example:a",
            "authentication_type": "chap",
            "chap": {"inbound": {"user": "in", "password": CHAP_IN},
                     "outbound": {"user": "out", "password": CHAP_OUT}}}
    exchange = client.request("POST", "/api/protocols/san/iscsi/credentials", json=body)
    assert exchange.status == 201
    # checks must still see the leak
    assert exchange.response_json["records"][0]["chap"]["inbound"]["password"] == CHAP_IN
    printable = json.dumps([exchange.response_text, exchange.response_headers,
                            exchange.request_json, exchange.as_curl(), exchange.summary(),
                            repr(exchange), exchange.url])
    for secret in (CHAP_IN, CHAP_OUT, PASSWORD):
        assert secret not in printable
        assert secret.lower() not in printable.lower()


def test_error_message_that_quotes_a_password_is_redacted(redactor):
    redactor.register("Echoed-Secret-9")
    exchange = Exchange(
        method="POST", url="https://c/api/x", path="/api/x", params=None,
        request_json=None, status=400, response_headers={},
        response_text=redactor.redact_text(
            '{"error": {"message": "password \\"Echoed-Secret-9\\" too short", "code": "1"}}'),
        response_json=None, elapsed=0.0, redactor=redactor)
    assert "Echoed-Secret-9" not in exchange.response_text


def test_log_records_are_redacted(caplog):
    import logging

    from conformance.wire.redaction import REDACTOR, install_log_redaction

    install_log_redaction()
    REDACTOR.register("logged-secret-123")
    logging.getLogger("conformance.test").warning("sent %s", "logged-secret-123")
    assert "logged-secret-123" not in caplog.text
    assert MASK in caplog.text


@pytest.mark.parametrize("secret", ["default", "none", "0000", "12345678", "deny"])
def test_api_words_and_short_numbers_are_masked_only_as_password_values(redactor, secret):
    redactor.register(secret)
    text = f'{{"initiator": "default", "authentication_type": "none", "password": "{secret}", ' \
           f'"svm": {{"uuid": "00000000-0000-0000-0000-123456789012"}}}}'
    redacted = redactor.redact_text(text)
    assert '"initiator": "default"' in redacted
    assert "00000000-0000-0000-0000-123456789012" in redacted
    assert f'"password": "{MASK}"' in redacted


def test_protected_names_survive_but_password_values_do_not(redactor):
    redactor.register("svm-prod-1")
    redactor.protect("svm-prod-1")
    assert redactor.redact_text('svm-prod-1 "password": "svm-prod-1"') == (
        f'svm-prod-1 "password": "{MASK}"')


@pytest.mark.parametrize("echoed", ["hunter2hunter2", "HUNTER2HUNTER2", "Basic dXNlcjpodW50ZXIy",
                                    '"password": "abc-123"', "Authorization: Bearer abcdefgh12"])
def test_redact_all_masks_what_any_one_text_would(redactor, echoed):
    """Header values are looked at together first: that look must never miss what one holds."""
    redactor.register("hunter2hunter2")
    texts = ["application/hal+json", f"x {echoed} y", "1234"]
    assert redactor.redact_all(texts) == [redactor.redact_text(t) for t in texts]
    assert redactor.redact_all(texts)[1] != texts[1]


def test_redact_all_leaves_plain_texts_alone(redactor):
    redactor.register("hunter2hunter2")
    texts = ["application/hal+json", "Sat, 05 Dec 2026 12:00:00 GMT", "hunter2hu", "nter2hunter2"]
    assert redactor.redact_all(texts) == texts
