"""The wire: the HTTP client every request goes through, and the redactor.

The bottom stage of the suite: the client sends a request and keeps the answer as an
:class:`~conformance.wire.client.Exchange` (every verdict names the exchange it judged), and
the redactor keeps every CHAP password and the basic-auth secret out of whatever text leaves
the process. It imports nothing else of the suite.
"""
