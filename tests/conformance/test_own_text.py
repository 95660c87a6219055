"""Passwords that are words of the suite's own text are not drawn; the quick refusal agrees
with searching the text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.programs import strategies as gen
from conformance.wire.redaction import MIN_FREE_TEXT_LENGTH


def test_literals_of_the_suite_are_refused_and_short_or_foreign_strings_pass():
    assert not gen._not_own_text("conformant")
    assert not gen._not_own_text("NonConformant")  # case does not matter
    assert gen._not_own_text("zq" * 2 + "x9") and gen._not_own_text("abc"[:MIN_FREE_TEXT_LENGTH - 1])


def test_parts_of_the_password_placeholders_are_refused():
    """A password "p-out" could not be masked in "<chap-outbound-password>" of a curl line
    (seen in a CI run's replay report)."""
    assert not gen._not_own_text("p-out")
    assert not gen._not_own_text("records-chap-in")


@settings(max_examples=300, deadline=None, database=None)
@given(st.one_of(st.text(min_size=4, max_size=12),
                 st.integers(0, 10**6).map(lambda i: gen._own_text()[i % len(gen._own_text()):][:6])))
def test_the_window_check_agrees_with_searching_the_literals(secret):
    expected = len(secret) < MIN_FREE_TEXT_LENGTH or secret.lower() not in gen._own_text()
    assert gen._not_own_text(secret) == expected


@settings(max_examples=200, deadline=None, database=None)
@given(gen.chap_bodies(outbound=True))
def test_an_outbound_password_differs_stays_valid_and_is_no_text_of_the_suite(chap):
    inbound, outbound = chap["inbound"]["password"], chap["outbound"]["password"]
    assert inbound.lower() != outbound.lower()
    assert 1 <= len(outbound.encode()) <= 512
    assert outbound[:2] in ("0x", "0X") or gen._not_own_text(outbound)


def test_equal_draws_of_the_shortest_passwords_are_not_suffixed_into_placeholder_text():
    """Both passwords drawn "p" once gave "p-out" (a part of <chap-outbound-password>)."""
    from hypothesis import find
    chap = find(gen.chap_bodies(outbound=True), lambda c: c["inbound"]["password"] == "p",
                settings=settings(database=None, max_examples=2000))
    assert chap["outbound"]["password"].lower() not in ("p", "p-out")
