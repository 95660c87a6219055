"""Reports: what a run leaves behind, built from the ledger alone and redacted.

``conformance.json`` (:mod:`~conformance.reports.run_report`), the HTML blocks that lead
``conformance.html`` (:mod:`~conformance.reports.html_summary`; pytest-html writes the page
and ``junit.xml`` comes from pytest), the verdict in words, the certificate, the run history
and its trend, and the reviewed known deviations; :mod:`~conformance.reports.postrun` is what
a run does with them after its tests.

This stage imports the wire, the judging stage (the ledger), the programs (the exploration
figures and the time budget), the upgrade stage (its report sections) and the run's
settings; never the pytest face.
"""
