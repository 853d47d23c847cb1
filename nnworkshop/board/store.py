"""Where the board keeps runs: one small interface, two back ends.

- ``SQLiteStore``: a file on the instructor's machine (standard library ``sqlite3``; each run is
  committed before the service answers, so a restart loses nothing).
- ``PostgresStore``: a PostgreSQL database (``psycopg``, an optional install), for a hub where
  several board processes write to one place.

``open_store(url)`` picks one: ``postgresql://...`` or a SQLite path (``sqlite:///path`` or a plain path).
The SQL is written by hand because it is five statements; an ORM would be a bigger dependency than the store.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from pathlib import Path


class Conflict(Exception):
    """A run id that is already stored with different contents (nobody may change a stored run)."""


SCHEMA = (
    "CREATE TABLE IF NOT EXISTS board_runs (seq {serial}, run_id TEXT UNIQUE NOT NULL, body TEXT NOT NULL,"
    " hidden INTEGER NOT NULL DEFAULT 0, created DOUBLE PRECISION NOT NULL)",
    "CREATE TABLE IF NOT EXISTS board_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS board_learners (name TEXT PRIMARY KEY, number INTEGER NOT NULL,"
    " hidden INTEGER NOT NULL DEFAULT 0)",
)
# Columns added with live updates, moderation and checked runs (an older board file gets them, filled from the
# stored bodies, on opening).
COLUMNS = {"name": "TEXT", "changed": "BIGINT", "checked_acc": "DOUBLE PRECISION", "private_acc": "DOUBLE PRECISION"}
INDEXES = ("CREATE INDEX IF NOT EXISTS board_runs_changed ON board_runs (changed)",
           "CREATE INDEX IF NOT EXISTS board_runs_name ON board_runs (name)")


def _body(text: str) -> dict:
    """A stored body; a run stored under the old names (test_acc) is read under the new ones (schema.OLD_NAMES)."""
    run = json.loads(text)
    if "test_acc" in run and "val_acc" not in run:
        run["val_acc"] = run.pop("test_acc")
        curves = run.get("curves", {})
        for old, new in (("test_loss", "val_loss"), ("test_acc", "val_acc")):
            if old in curves:
                curves[new] = curves.pop(old)
    return run


class Store:
    """The store interface; subclasses give ``_connect``, the placeholder style and ``_columns``.

    ``add(run)`` -> True (stored) or False (the same run again: nothing changes); ``Conflict`` when
    the id is taken by other contents. ``runs(hidden=False)`` in the order they arrived.
    ``changes(since, limit)``: only what changed after the cursor ``since`` (new runs, hides, checks), the
    work proportional to what changed (an index on ``changed``). ``set_hidden(ids, hidden)``,
    ``set_learner_hidden(name, hidden)``, ``set_checked(run_id, checked, private)``, ``private_ranking()``,
    ``clear()``, ``setting(key)`` / ``set_setting(key, value)``, and ``version()``: a number that grows
    whenever anything the page shows changes (every changed row carries the version it changed at).
    """

    serial = "INTEGER PRIMARY KEY AUTOINCREMENT"
    mark = "?"

    def __init__(self):
        self._lock = threading.Lock()
        self._conn = self._connect()
        with self._lock:
            for statement in SCHEMA:
                self._exec(statement.format(serial=self.serial))
            have = self._columns()
            missing = [c for c in COLUMNS if c not in have]
            for column in missing:
                self._exec(f"ALTER TABLE board_runs ADD COLUMN {column} {COLUMNS[column]}")
            if missing:
                self._fill_new_columns()
            for statement in INDEXES:
                self._exec(statement)
            self._conn.commit()

    def _fill_new_columns(self) -> None:
        """An older board file (no name/changed/checked columns): names, learners and change numbers from the
        stored bodies."""
        rows = self._exec("SELECT seq, body FROM board_runs ORDER BY seq").fetchall()
        version = int(self._get("version") or 0)
        for seq, body in rows:
            name = json.loads(body)["name"]
            self._learner(name)
            self._exec("UPDATE board_runs SET name = ?, changed = ? WHERE seq = ?", (name, version, seq))

    # the back end's connection and one statement
    def _connect(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _columns(self) -> set[str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _exec(self, sql: str, params=()):
        cur = self._conn.cursor()
        cur.execute(sql.replace("?", self.mark), params)
        return cur

    def _bump(self) -> int:
        version = int(self._get("version") or 0) + 1
        self._put("version", str(version))
        return version

    def _get(self, key: str):
        row = self._exec("SELECT value FROM board_settings WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _put(self, key: str, value: str) -> None:
        self._exec("DELETE FROM board_settings WHERE key = ?", (key,))
        self._exec("INSERT INTO board_settings (key, value) VALUES (?, ?)", (key, value))

    def _learner(self, name: str) -> tuple[int, bool]:
        """(number, hidden) of the learner called ``name``, numbered in the order they first posted."""
        row = self._exec("SELECT number, hidden FROM board_learners WHERE name = ?", (name,)).fetchone()
        if row is None:
            number = self._exec("SELECT COUNT(*) FROM board_learners").fetchone()[0] + 1
            self._exec("INSERT INTO board_learners (name, number, hidden) VALUES (?, ?, 0)", (name, number))
            return number, False
        return row[0], bool(row[1])

    # the interface
    def add(self, run: dict) -> bool:
        body = json.dumps(run, sort_keys=True)
        with self._lock:
            old = self._exec("SELECT body FROM board_runs WHERE run_id = ?", (run["run_id"],)).fetchone()
            if old is not None:
                if old[0] == body:
                    return False
                raise Conflict(f"run_id {run['run_id']!r} is already on the board with other contents; "
                               "a stored run cannot be changed (send a new run instead).")
            _, learner_hidden = self._learner(run["name"])  # a hidden learner's new runs arrive hidden
            self._exec("INSERT INTO board_runs (run_id, body, hidden, created, name, changed) VALUES (?, ?, ?, ?, ?, ?)",
                       (run["run_id"], body, int(learner_hidden), time.time(), run["name"], self._bump()))
            self._conn.commit()
        return True

    def run(self, run_id: str) -> dict | None:
        """The stored run ``run_id`` (with ``seq``, ``hidden``, ``checked_acc``), or None."""
        with self._lock:
            row = self._exec("SELECT seq, body, hidden, checked_acc FROM board_runs WHERE run_id = ?", (run_id,)).fetchone()
            self._conn.commit()
        if row is None:
            return None
        return {**_body(row[1]), "seq": row[0], "hidden": bool(row[2]), "checked_acc": row[3]}

    def runs(self, hidden: bool = False) -> list[dict]:
        sql = "SELECT seq, body, hidden, checked_acc FROM board_runs" + ("" if hidden else " WHERE hidden = 0") + " ORDER BY seq"
        with self._lock:
            rows = self._exec(sql).fetchall()
            self._conn.commit()
        return [{**_body(body), "seq": seq, "hidden": bool(h), "checked_acc": c} for seq, body, h, c in rows]

    def changes(self, since: int, limit: int) -> dict:
        """What changed after version ``since``, oldest change first, at most ``limit`` runs:
        ``{"version", "cursor", "more", "runs": [(run dict, learner number), ...]}``. A hidden run comes as
        ``{"run_id", "hidden": True}`` only. Pass ``cursor`` back as ``since`` to read on."""
        with self._lock:
            version = int(self._get("version") or 0)
            rows = self._exec(
                "SELECT r.seq, r.body, r.hidden, r.checked_acc, r.changed, r.run_id, l.number FROM board_runs r"
                " JOIN board_learners l ON l.name = r.name WHERE r.changed > ? ORDER BY r.changed, r.seq LIMIT ?",
                (int(since), int(limit) + 1)).fetchall()
            self._conn.commit()
        more, cursor = len(rows) > limit, version
        if more:  # never split one change (a learner's runs hidden at once) across two pages
            first_left = rows[limit][4]
            rows = [r for r in rows[:limit] if r[4] < first_left]
            if rows:
                cursor = rows[-1][4]
            else:  # one change larger than a page: all of it
                with self._lock:
                    rows = self._exec(
                        "SELECT r.seq, r.body, r.hidden, r.checked_acc, r.changed, r.run_id, l.number FROM board_runs r"
                        " JOIN board_learners l ON l.name = r.name WHERE r.changed = ? ORDER BY r.seq",
                        (first_left,)).fetchall()
                    self._conn.commit()
                cursor = first_left
        out = []
        for seq, body, hidden, checked, _, run_id, number in rows:
            if hidden:
                out.append(({"run_id": run_id, "seq": seq, "hidden": True}, number))
            else:
                out.append(({**_body(body), "seq": seq, "hidden": False, "checked_acc": checked}, number))
        return {"version": version, "cursor": cursor, "more": more, "runs": out}

    def set_hidden(self, run_ids, hidden: bool) -> int:
        with self._lock:
            n, version = 0, self._bump()
            for run_id in run_ids:
                n += self._exec("UPDATE board_runs SET hidden = ?, changed = ? WHERE run_id = ?",
                                (int(hidden), version, run_id)).rowcount
            self._conn.commit()
        return n

    def set_learner_hidden(self, name: str, hidden: bool) -> int:
        """Hide (or show again) every run of the learner called ``name``, and their runs still to come; how many."""
        with self._lock:
            version = self._bump()
            self._exec("UPDATE board_learners SET hidden = ? WHERE name = ?", (int(hidden), name))
            n = self._exec("UPDATE board_runs SET hidden = ?, changed = ? WHERE name = ?",
                           (int(hidden), version, name)).rowcount
            self._conn.commit()
        return n

    def hidden_learners(self) -> list[dict]:
        """The learners hidden as a whole: ``{"name", "number", "runs"}`` each, in the order they first posted."""
        with self._lock:
            rows = self._exec("SELECT l.name, l.number, COUNT(r.seq) FROM board_learners l LEFT JOIN board_runs r"
                              " ON r.name = l.name WHERE l.hidden = 1 GROUP BY l.name, l.number ORDER BY l.number").fetchall()
            self._conn.commit()
        return [{"name": n, "number": num, "runs": k} for n, num, k in rows]

    def learner_of(self, run_id: str) -> str | None:
        """The name of the learner who posted ``run_id`` (the page knows runs by id when names are hidden)."""
        with self._lock:
            row = self._exec("SELECT name FROM board_runs WHERE run_id = ?", (run_id,)).fetchone()
            self._conn.commit()
        return row[0] if row else None

    def set_checked(self, run_id: str, checked: float, private: float) -> bool:
        """Record the board's own accuracy of ``run_id`` on its check digits (``checked``, shown) and on its
        private digits (``private``, kept until revealed); False when the run was checked already."""
        with self._lock:
            n = self._exec("UPDATE board_runs SET checked_acc = ?, private_acc = ?, changed = ?"
                           " WHERE run_id = ? AND checked_acc IS NULL",
                           (float(checked), float(private), self._bump(), run_id)).rowcount
            self._conn.commit()
        return n == 1

    def private_ranking(self) -> list[dict]:
        """Each learner's best shown run by accuracy on the private digits (checked runs only), best first."""
        with self._lock:
            rows = self._exec("SELECT r.name, l.number, r.run_id, r.private_acc, r.checked_acc FROM board_runs r"
                              " JOIN board_learners l ON l.name = r.name"
                              " WHERE r.hidden = 0 AND r.private_acc IS NOT NULL").fetchall()
            self._conn.commit()
        best: dict[str, tuple] = {}
        for row in rows:
            if row[0] not in best or row[3] > best[row[0]][3]:
                best[row[0]] = row
        ranked = sorted(best.values(), key=lambda r: -r[3])
        return [{"name": n, "learner": num, "run_id": rid, "private_acc": p, "checked_acc": c}
                for n, num, rid, p, c in ranked]

    def clear(self) -> int:
        with self._lock:
            n = self._exec("DELETE FROM board_runs").rowcount
            self._exec("DELETE FROM board_learners")
            self._put("generation", str(self._bump()))
            self._conn.commit()
        return n

    def setting(self, key: str):
        with self._lock:
            value = self._get(key)
            self._conn.commit()
        return value

    def set_setting(self, key: str, value: str, everything: bool = False) -> None:
        """Set ``key``; ``everything=True`` when it changes how every run is shown (the page reloads them all)."""
        with self._lock:
            self._put(key, value)
            version = self._bump()
            if everything:
                self._put("generation", str(version))
            self._conn.commit()

    def version(self) -> int:
        return int(self.setting("version") or 0)

    def token(self, key: str, given: str | None = None) -> str:
        """The token stored under ``key``: ``given`` when given (and stored), else the stored one, else a new one.

        Kept in the store so a restarted board keeps the tokens the room already has."""
        if given:
            self.set_setting(key, given)
            return given
        value = self.setting(key)
        if not value:
            value = secrets.token_urlsafe(6 if key == "class_token" else 18)
            self.set_setting(key, value)
        return value

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class SQLiteStore(Store):
    """Runs in a SQLite file at ``path`` (made if missing; WAL journal, every write committed)."""

    def __init__(self, path):
        self.path = Path(path)
        if not self.path.parent.exists():
            raise ValueError(f"cannot keep the board in {self.path}: the folder {self.path.parent} does not exist.")
        super().__init__()

    def _connect(self):
        conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)  # guarded by self._lock
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        return conn

    def _columns(self) -> set[str]:
        return {row[1] for row in self._exec("PRAGMA table_info(board_runs)").fetchall()}


class PostgresStore(Store):
    """Runs in a PostgreSQL database at ``url`` (needs ``pip install "psycopg[binary]"``)."""

    serial = "BIGSERIAL PRIMARY KEY"
    mark = "%s"

    def __init__(self, url: str):
        self.url = url
        super().__init__()

    def _connect(self):
        try:
            import psycopg
        except ImportError as err:
            raise RuntimeError('a postgresql:// store needs psycopg: pip install "psycopg[binary]"') from err
        return psycopg.connect(self.url)

    def _columns(self) -> set[str]:
        return {row[0] for row in self._exec("SELECT column_name FROM information_schema.columns"
                                             " WHERE table_name = 'board_runs'").fetchall()}


def open_store(url) -> Store:
    """A store for ``url``: ``postgresql://...`` / ``postgres://...``, ``sqlite:///path``, or a file path."""
    text = str(url)
    if text.startswith(("postgresql://", "postgres://")):
        return PostgresStore(text)
    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///"):]
    elif "://" in text:
        raise ValueError(f"unknown store {text!r}: give a file path, sqlite:///path or postgresql://user@host/db.")
    return SQLiteStore(Path(text).expanduser())
