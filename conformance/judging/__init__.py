"""Judging: one API call at a time, the answer judged against the model, every verdict tallied.

The driver asks the model for the outcomes it allows, sends the request through the wire
(:mod:`conformance.wire`), and hands the answer to the checks; the judge turns their verdicts
into ledger entries (and failures that name the rule). Second witnesses decide whom a
disagreement blames, undecided writes are settled by a read, and collection reads follow
every page. The ledger computes the verdict.

This stage imports only the wire, the model (``models``) and its libraries. Whoever watches
the driver's steps (the recorder of upgrade validation) is installed from above through
:mod:`conformance.judging.step_hook`.
"""
