"""Programs: the Hypothesis state machine, the strategies it draws from, and how far it went.

A program is one Hypothesis example of the state machine: create / get / list / patch /
delete steps on random IQNs, EUIs, CHAP users and passwords and address lists, valid and
invalid, each step judged through the driver (:mod:`conformance.judging`). The exploration
collector says how deep the programs reached; the time budget stops new programs once the
run's time is spent.

This stage imports the wire and the judging stage; the pytest face runs it
(``conformance/test_stateful.py``).
"""
