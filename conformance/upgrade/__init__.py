"""Upgrade validation: record a run, replay it on another target, compare two runs.

``--record FILE`` keeps every program of a run and what each step observed, normalised (no
password: only its shape), calibrated for noise by a second pass on the same target.
``--replay FILE`` runs those programs again, judged as in any run, and classifies every step
(same, noise, documented change, behaviour change). ``--baseline FILE`` and
``python -m conformance.compare`` compare two runs' reports rule by rule and fail closed.

This stage imports the wire, the judging stage (a replay drives the driver) and the target's
safety errors; the recorder watches the driver through the judging stage's step hook, which
:mod:`conformance.upgrade.validation` installs when the plugin configures a run.
"""
