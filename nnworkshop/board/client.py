"""Sending a run to a class board (standard library only: a dashboard must not need more to join)."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

ENV_URL, ENV_TOKEN, ENV_NAME = "NNWORKSHOP_BOARD", "NNWORKSHOP_BOARD_TOKEN", "NNWORKSHOP_BOARD_NAME"


class BoardError(RuntimeError):
    """The board could not be reached, or refused the run (the text says why and what to do)."""


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


def send_run(url: str, token: str | None, run: dict, timeout: float = 10) -> dict:
    """POST ``run`` to ``url``/api/runs; the board's answer (``{"stored": bool, "duplicate": bool}``) or ``BoardError``."""
    if not token:
        raise BoardError("no class token: pass token=... or set NNWORKSHOP_BOARD_TOKEN (the instructor gives it).")
    data = json.dumps(run, allow_nan=False).encode()
    req = urllib.request.Request(f"{url}/api/runs", data=data, method="POST",
                                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as err:
        try:
            reason = json.loads(err.read()).get("error", "")
        except ValueError:
            reason = ""
        raise BoardError(f"the board at {url} refused the run ({err.code}): {reason or err.reason}") from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise BoardError(f"cannot reach the board at {url} ({reason}); check the address the instructor gave.") from None
