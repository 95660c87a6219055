"""The pytest face: what pytest and the command line see of the suite.

The options and the run's settings (command line > environment > TOML file), the Hypothesis
profiles, the run's state and its target, the workers of pytest-xdist and the state machine's
streams, what a failed test means for the ledger, secrets out of every report pytest writes,
``--sweep``, and what a run does when its tests are done. The hooks themselves are in
:mod:`conformance.plugin`; the fixtures in :mod:`conformance.fixtures`.

The top of the suite: it may import every stage below it, and none of them imports it.
"""
