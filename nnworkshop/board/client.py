"""Sending a run to a class board (standard library only: a dashboard must not need more to join)."""

from __future__ import annotations

import http.client
import json
import os
import urllib.error
import urllib.request

ENV_URL, ENV_TOKEN, ENV_NAME = "NNWORKSHOP_BOARD", "NNWORKSHOP_BOARD_TOKEN", "NNWORKSHOP_BOARD_NAME"


class BoardError(RuntimeError):
    """The board could not be reached, or refused the run (the text says why and what to do).

    ``status`` is the HTTP status when the board answered; ``retry_after`` the seconds it asked to wait (429)."""

    def __init__(self, text: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(text)
        self.status, self.retry_after = status, retry_after


def board_settings(url=None, token=None, name=None) -> tuple[str | None, str | None, str]:
    """``(url, token, name)`` from the arguments, else ``NNWORKSHOP_BOARD`` / ``NNWORKSHOP_BOARD_TOKEN`` /
    ``NNWORKSHOP_BOARD_NAME`` (a JupyterHub can set them), else ``JUPYTERHUB_USER`` or the login name for the name."""
    url = (url or os.environ.get(ENV_URL, "")).strip().rstrip("/") or None
    token = (token or os.environ.get(ENV_TOKEN, "")).strip() or None
    if url is not None and not url.startswith(("http://", "https://")):
        raise ValueError(f"board={url!r} must start with http:// or https:// (the address the instructor gave).")
    if name is None:
        name = os.environ.get(ENV_NAME) or os.environ.get("JUPYTERHUB_USER")
    if not name:
        import getpass

        try:
            name = getpass.getuser()
        except Exception:  # no login name in some containers
            name = "learner"
    return url, token, str(name)


def _post(url: str, token: str | None, path: str, data: bytes, content_type: str, what: str, timeout: float) -> dict:
    if not token:
        raise BoardError("no class token: pass token=... or set NNWORKSHOP_BOARD_TOKEN (the instructor gives it).")
    req = urllib.request.Request(f"{url}{path}", data=data, method="POST",
                                 headers={"Content-Type": content_type, "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as err:
        try:
            reason = json.loads(err.read()).get("error", "")
        except ValueError:
            reason = ""
        retry = err.headers.get("Retry-After") if err.code == 429 else None
        raise BoardError(f"the board at {url} refused the {what} ({err.code}): {reason or err.reason}", err.code,
                         float(retry) if retry and retry.isdigit() else None) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as err:  # HTTPException: cut off mid-answer
        reason = getattr(err, "reason", err)
        raise BoardError(f"cannot reach the board at {url} ({reason}); check the address the instructor gave.") from None


def send_run(url: str, token: str | None, run: dict, timeout: float = 10) -> dict:
    """POST ``run`` to ``url``/api/runs; the board's answer (``{"stored": bool, "duplicate": bool}``) or ``BoardError``
    (a learner over the board's rate limit: ``status`` 429 and ``retry_after`` seconds)."""
    data = json.dumps(run, allow_nan=False).encode()
    return _post(url, token, "/api/runs", data, "application/json", "run", timeout)


def send_weights(url: str, token: str | None, run_id: str, message: bytes, timeout: float = 30) -> dict:
    """POST a stored run's trained weights (``message``: ``grading.protocol.pack([W1, b1, ...])``, each W
    (out_features, in_features)) so the board scores them itself; its answer ``{"checked_acc": percent}``."""
    return _post(url, token, f"/api/runs/{run_id}/weights", message, "application/octet-stream", "weights", timeout)
