"""The targets: the system under test, the embedded emulator or a live cluster, and its safety.

Opening a target probes its release and SVMs; the embedded emulator runs as a child process
on loopback; on a live cluster the run only touches what it created (the write guard), journals
every create before it is sent (``--sweep`` reads the journal), and its own housekeeping
(cleanup, snapshots, restored defaults) is judged like any other response. The run's settings
(:class:`~conformance.targets.settings.TargetConfig`) live here too.

This stage imports the wire and the judging stage (the housekeeping's answers are judged),
never the programs, the reports or the pytest face.
"""
