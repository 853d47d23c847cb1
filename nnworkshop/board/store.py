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
)


class Store:
    """The store interface; subclasses give ``_connect`` and the placeholder style.

    ``add(run)`` -> True (stored) or False (the same run again: nothing changes); ``Conflict`` when
    the id is taken by other contents. ``runs(hidden=False)`` in the order they arrived.
    ``set_hidden(ids, hidden)``, ``clear()``, ``setting(key)`` / ``set_setting(key, value)``, and
    ``version()``: a number that changes whenever anything the page shows changes.
    """

    serial = "INTEGER PRIMARY KEY AUTOINCREMENT"
    mark = "?"

    def __init__(self):
        self._lock = threading.Lock()
        self._conn = self._connect()
        with self._lock:
            for statement in SCHEMA:
                self._exec(statement.format(serial=self.serial))
            self._conn.commit()

    # the back end's connection and one statement
    def _connect(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _exec(self, sql: str, params=()):
        cur = self._conn.cursor()
        cur.execute(sql.replace("?", self.mark), params)
        return cur

    def _bump(self) -> None:
        self._put("version", str(int(self._get("version") or 0) + 1))

    def _get(self, key: str):
        row = self._exec("SELECT value FROM board_settings WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _put(self, key: str, value: str) -> None:
        self._exec("DELETE FROM board_settings WHERE key = ?", (key,))
        self._exec("INSERT INTO board_settings (key, value) VALUES (?, ?)", (key, value))

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
            self._exec("INSERT INTO board_runs (run_id, body, hidden, created) VALUES (?, ?, 0, ?)",
                       (run["run_id"], body, time.time()))
            self._bump()
            self._conn.commit()
        return True

    def runs(self, hidden: bool = False) -> list[dict]:
        sql = "SELECT seq, body, hidden FROM board_runs" + ("" if hidden else " WHERE hidden = 0") + " ORDER BY seq"
        with self._lock:
            rows = self._exec(sql).fetchall()
            self._conn.commit()
        return [{**json.loads(body), "seq": seq, "hidden": bool(h)} for seq, body, h in rows]

    def set_hidden(self, run_ids, hidden: bool) -> int:
        with self._lock:
            n = 0
            for run_id in run_ids:
                n += self._exec("UPDATE board_runs SET hidden = ? WHERE run_id = ?", (int(hidden), run_id)).rowcount
            self._bump()
            self._conn.commit()
        return n

    def clear(self) -> int:
        with self._lock:
            n = self._exec("DELETE FROM board_runs").rowcount
            self._bump()
            self._conn.commit()
        return n

    def setting(self, key: str):
        with self._lock:
            value = self._get(key)
            self._conn.commit()
        return value

    def set_setting(self, key: str, value: str) -> None:
        with self._lock:
            self._put(key, value)
            self._bump()
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
