"""Table tests: one test walks a table a person wrote and reports every failing row at once.

A table test replaces a parametrised matrix that checks one rule: the rule is one test item,
its rows are the table, and a failure lists each row that broke it (not only the first).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class Rows:
    """The failing rows of one table test: `with rows.row(label): ...`, then `rows.check()`."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.seen = 0

    @contextmanager
    def row(self, *label: object) -> Iterator[None]:
        """Run one row; an exception it raises is recorded under `label` and the walk goes on."""
        self.seen += 1
        try:
            yield
        except Exception as error:  # every failing row is reported, whatever it raised
            name = " ".join(str(part)[:80] for part in label)
            self.failures.append(f"[{name}] {type(error).__name__}: {str(error)[:600]}")

    def check(self, at_least: int = 1) -> None:
        """Fail with every failing row; also fail if fewer than `at_least` rows ran."""
        assert self.seen >= at_least, f"only {self.seen} rows ran, expected {at_least} or more"
        summary = f"{len(self.failures)} of {self.seen} rows failed:\n"
        assert not self.failures, summary + "\n".join(self.failures)
