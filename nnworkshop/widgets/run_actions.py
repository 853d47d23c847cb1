"""What the dashboard does with finished runs: list, show or hide, clear, save as CSV, send to a board.

A mixin of ``ExperimentDashboard`` (it uses the dashboard's ``table``, ``board``, ``csv_path`` and
messages), kept apart so each file stays one screenful of one idea.
"""

from __future__ import annotations

from pathlib import Path

from ..history import History
from . import runs as R


class RunActions:
    """The finished-runs half of ``ExperimentDashboard``."""

    @property
    def runs(self) -> list[dict]:
        """Every finished run as a dict: the hyperparameters (the control names, plus momentum),
        then status ("done", "stopped", "diverged"), epochs_run, final train/test loss and
        accuracy (%), seconds and device. Copies: editing them changes nothing here."""
        return [dict(run.row) for run in self.table.runs]

    def history(self, run_id: int) -> History:
        """The full per-epoch ``History`` of run ``run_id``."""
        return self.table.get(run_id).history

    def show_runs(self, run_ids) -> None:
        """Show the curves of exactly the runs numbered in ``run_ids``; hide the others."""
        wanted = set(run_ids)
        for run_id in wanted:
            self.table.get(run_id)  # unknown numbers are an error
        for run in list(self.table.runs):
            self.table.set_visible(run.id, run.id in wanted)

    def clear(self, run_id: int) -> None:
        """Remove run ``run_id`` from the table and the curves."""
        if self._refuse_while_running("clear a run"):
            return
        self.table.clear(run_id)

    def clear_all(self) -> None:
        """Remove every run (run numbers keep counting up)."""
        if self._refuse_while_running("clear the runs"):
            return
        self.table.clear()
        self._say("Cleared all runs.", "info")

    def send_to_board(self, wait: bool = False):
        """Send the runs not sent yet to the class board (the "Send to board" button); the sending thread.

        ``wait=True`` returns when the board has answered; ``board_message`` says what happened."""
        return self.board.send(self.table.runs, wait=wait)

    @property
    def board_message(self) -> str:
        """What the last send to the board said."""
        return self.board.message

    def to_csv(self, path) -> Path:
        """Save ``runs`` as CSV (one row per run, a header of column names); return the path."""
        return R.write_csv(self.runs, path)

    def _save_clicked(self) -> None:
        try:
            path = self.to_csv(self.csv_path.value.strip() or "runs.csv")
        except (OSError, ValueError) as err:
            self._say_error(err)
            return
        self._say(f"Saved {len(self.runs)} runs to {path.resolve()}", "success")

    def _refuse_while_running(self, what: str) -> bool:
        if self.running:
            self._say(f"Cannot {what} while a run is training: wait for it, or press Stop.", "warning")
            return True
        return False

