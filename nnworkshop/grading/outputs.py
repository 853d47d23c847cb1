"""A batch's report files, rewritten as each submission finishes, so a crash or a stop loses nothing graded.

After every result the CSV is rewritten whole (rows in command-line order; rows kept from an interrupted
run unchanged), and that submission's ``results.json`` and feedback are written, each atomically.
"""

from __future__ import annotations

import threading
from pathlib import Path

from .atomic import OutputError, check_folder, check_subfolder, check_target, write_atomic
from .grader import Result
from .report import (cell, csv_text, feedback_path, report_names, result_row, results_json_path,
                     write_one_feedback, write_one_results_json)


def row_key(submission: str) -> str:
    """How a submission's path appears in the CSV's ``submission`` cell (as written, then read back)."""
    return cell("submission", submission).encode("utf-8", "backslashreplace").decode("utf-8")


class Outputs:
    """The CSV, ``results.json`` files and feedback of one batch of ``paths``.

    ``kept``: rows of an interrupted run's CSV by ``row_key`` (values as read back with ``report.uncell``).
    ``add`` is safe to call from several threads; a write that fails is kept in ``error`` and sets ``stop``.
    """

    def __init__(self, paths, out, results_json=None, feedback=None, kept: dict | None = None, stop=None):
        self.paths = [str(p) for p in paths]
        self.names = report_names(self.paths)
        self.out, self.results_json, self.feedback = Path(out), results_json, feedback
        kept = kept or {}
        self.rows: list = [kept.get(row_key(p)) for p in self.paths]
        self.kept = sum(r is not None for r in self.rows)
        self.graded = 0
        self.stop, self.error = stop, None
        self._lock = threading.Lock()

    def done(self) -> list[str]:
        """The submissions that already have a row (not graded again)."""
        return [p for p, row in zip(self.paths, self.rows) if row is not None]

    def check(self) -> None:
        """Refuse, before grading starts, any output path that is a link, a FIFO or another non-regular file."""
        check_target(self.out, "--out")
        if self.results_json is not None:
            check_folder(self.results_json, "--results-json")
            for name in self.names:
                check_subfolder(Path(self.results_json) / name, "--results-json")
                check_target(results_json_path(self.results_json, name), "--results-json")
        if self.feedback is not None:
            check_folder(self.feedback, "--feedback")
            for name in self.names:
                check_target(feedback_path(self.feedback, name), "--feedback")

    def write_csv(self) -> None:
        write_atomic(self.out, csv_text([row for row in self.rows if row is not None]), "--out")

    def add(self, r: Result) -> None:
        """Record ``r`` and write the CSV, its ``results.json`` and its feedback."""
        with self._lock:
            i = next((i for i, (p, row) in enumerate(zip(self.paths, self.rows)) if p == r.path and row is None), None)
            if i is None:
                raise ValueError(f"{r.path} is not a submission of this batch, or already has a row")
            self.rows[i] = result_row(r)
            self.graded += 1
            try:
                self.write_csv()
                if self.results_json is not None:
                    check_subfolder(Path(self.results_json) / self.names[i], "--results-json")
                    write_one_results_json(r, results_json_path(self.results_json, self.names[i]))
                if self.feedback is not None:
                    write_one_feedback(r, feedback_path(self.feedback, self.names[i]))
            except OSError as err:
                if self.error is None:
                    self.error = err if isinstance(err, OutputError) else OutputError(f"cannot write the reports: {err}")
                if self.stop is not None:
                    self.stop.set()
