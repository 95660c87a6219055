from conformance.face.progress import Progress
from conformance.judging.ledger import Ledger


class Reporter:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.config = None

    def write_line(self, text: str) -> None:
        self.lines.append(text)


def test_programs_are_counted_and_shrinking_replays_apart():
    ledger = Ledger()
    reporter = Reporter()
    progress = Progress(reporter, ledger, total=10, interval=0.0)
    progress.program_started()
    progress.program_started()
    assert (progress.programs, progress.replays) == (2, 0)
    assert "2/10 programs" in reporter.lines[-1] and "to go" in reporter.lines[-1]
    ledger.fails["CRED-POST-001"] += 1  # a program failed: what follows is shrinking
    progress.program_started()
    progress.program_started()
    assert (progress.programs, progress.replays) == (2, 2)
    assert "shrinking a failure (2 replays)" in reporter.lines[-1]


def test_silent_without_a_reporter():
    progress = Progress(None, Ledger(), total=3, interval=0.0)
    progress.program_started()
    assert progress.programs == 1
