"""A board running inside this Python process (uvicorn in a background thread).

For a quick board on one machine, in a notebook, in the tests and in ``measure``::

    board = start_board("board.sqlite")        # a free port on 127.0.0.1
    board.url, board.class_token               # what learners need
    board.stop()

``nnworkshop board serve`` runs the same app in the foreground.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@dataclass
class RunningBoard:
    """A board serving in a background thread: its ``url``, tokens and ``store``; ``stop()`` ends it."""

    url: str
    class_token: str
    instructor_token: str
    store: object
    _server: object
    _thread: threading.Thread

    def stop(self, timeout: float = 10) -> None:
        """Stop serving (open requests finish first) and close the store."""
        self._server.should_exit = True
        self._thread.join(timeout)
        self.store.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def start_board(store="board.sqlite", *, host: str = "127.0.0.1", port: int | None = None, token: str | None = None,
                instructor_token: str | None = None, timeout: float = 15, rate_limit=None,
                check_digits=None) -> RunningBoard:
    """Serve a board from ``store`` (a path or URL, see ``open_store``) in a thread; return once it answers.

    ``rate_limit``: a ``limits.RateLimit`` (default none here: tests and notebooks post as fast as they like);
    ``check_digits``: a ``check.CheckDigits`` to score posted weights on (default none)."""
    import uvicorn

    from .app import create_app
    from .store import open_store

    store_obj = open_store(store)
    class_token = store_obj.token("class_token", token)
    admin = store_obj.token("instructor_token", instructor_token)
    port = port or free_port(host)
    config = uvicorn.Config(create_app(store_obj, class_token, admin, rate_limit=rate_limit, check_digits=check_digits), host=host, port=port, log_level="warning",
                            timeout_graceful_shutdown=2)  # long polls are held up to 25 s: end them on stop
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"nnworkshop-board-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            store_obj.close()
            raise RuntimeError(f"the board did not start on {host}:{port} (is the port taken?)")
        time.sleep(0.02)
    return RunningBoard(f"http://{host}:{port}", class_token, admin, store_obj, server, thread)
