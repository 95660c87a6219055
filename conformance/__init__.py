"""The conformance suite for ONTAP's iSCSI credentials API, one folder per stage of a step.

``wire`` (the HTTP client, the redactor) < ``judging`` (driver, checks, judge, ledger) <
``targets`` and ``programs`` (the system under test; the state machine) < ``upgrade``
(record, replay, compare) < ``reports`` < ``face`` (the pytest face). A stage imports only
the stages before it; ``tests/conformance/test_layout.py`` holds it. At the top: the plugin's
hooks, the fixtures, the thin command lines and the suite's own tests.
"""
