"""The board's web service: a Starlette app over a ``Store``.

- ``GET /``                   the board page (no token: it shows runs, never a token)
- ``GET /api/runs``           every shown run as JSON, with ``version`` (changes when anything changes);
                              ``?version=N`` answers ``{"unchanged": true}`` while N is still current
- ``POST /api/runs``          a learner's run; needs the class token (``Authorization: Bearer T``)
- ``POST /api/admin/hide``    ``{"run_ids": [...], "hidden": true}``: instructor token
- ``POST /api/admin/names``   ``{"hidden": true}``: show learners' names or not; instructor token
- ``POST /api/admin/clear``   remove every run; instructor token

Learners can only add runs: there is no way to change or remove a stored run with the class token,
and a resend of the same run (same ``run_id``, same contents) is answered as a duplicate, not stored twice.
"""

from __future__ import annotations

import hmac
import json
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from .schema import MAX_BODY, clean_run
from .store import Conflict, Store

PAGE = Path(__file__).with_name("page.html")


class Refused(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


def _check_token(request: Request, *tokens: str) -> None:
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not value:
        raise Refused(401, "missing token: send the header 'Authorization: Bearer <token>' (the class token to post runs).")
    if not any(hmac.compare_digest(value.strip().encode(), t.encode()) for t in tokens):
        raise Refused(403, "wrong token for this board: ask the instructor for the class token.")


async def _json_body(request: Request):
    """The request's JSON, read no further than ``MAX_BODY`` bytes."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
        raise Refused(413, f"the run is larger than {MAX_BODY // 1024} kB; send fewer epochs of curves.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise Refused(413, f"the run is larger than {MAX_BODY // 1024} kB; send fewer epochs of curves.")
        chunks.append(chunk)
    try:
        return json.loads(b"".join(chunks))  # NaN / Infinity parse here and are refused by name in clean_run
    except ValueError as err:
        raise Refused(400, f"the body is not valid JSON ({err}).") from None


def _public(run: dict, names_hidden: bool, number: int) -> dict:
    out = {k: v for k, v in run.items() if k != "hidden"}
    if names_hidden:
        out["name"] = f"learner {number}"
    return out


def create_app(store: Store, class_token: str, instructor_token: str) -> Starlette:
    """The board app over ``store``. Learners post with ``class_token``; ``instructor_token`` (never shown on
    the page or sent to learners) hides runs, hides names and clears the board."""
    if not class_token or not instructor_token or class_token == instructor_token:
        raise ValueError("the class token and the instructor token must both be set, and differ.")
    page = PAGE.read_text(encoding="utf-8")

    def answer(func):
        async def endpoint(request: Request):
            try:
                return await func(request)
            except Refused as err:
                return JSONResponse({"error": err.reason}, status_code=err.status)
        return endpoint

    async def index(request: Request):
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    async def list_runs(request: Request):
        known = request.query_params.get("version")

        def read():
            version = store.version()
            if known is not None and known == str(version):
                return {"version": version, "unchanged": True}  # a polling page that is up to date gets 30 bytes
            names_hidden = store.setting("names_hidden") == "1"
            numbers: dict[str, int] = {}
            runs = []
            for run in store.runs():
                number = numbers.setdefault(run["name"], len(numbers) + 1)
                runs.append(_public(run, names_hidden, number))
            return {"version": version, "names_hidden": names_hidden, "runs": runs}
        return JSONResponse(await run_in_threadpool(read), headers={"Cache-Control": "no-store"})

    async def post_run(request: Request):
        _check_token(request, class_token, instructor_token)
        body = await _json_body(request)
        try:
            run = clean_run(body)
        except ValueError as err:
            raise Refused(422, str(err)) from None
        try:
            stored = await run_in_threadpool(store.add, run)
        except Conflict as err:
            raise Refused(409, str(err)) from None
        return JSONResponse({"stored": stored, "duplicate": not stored, "run_id": run["run_id"]},
                            status_code=201 if stored else 200)

    async def hide(request: Request):
        _check_token(request, instructor_token)
        body = await _json_body(request)
        body = body if isinstance(body, dict) else {}
        ids, hidden = body.get("run_ids"), body.get("hidden", True)
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids) or not isinstance(hidden, bool):
            raise Refused(422, 'send {"run_ids": ["..."], "hidden": true or false}.')
        return JSONResponse({"changed": await run_in_threadpool(store.set_hidden, ids, hidden)})

    async def names(request: Request):
        _check_token(request, instructor_token)
        body = await _json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("hidden"), bool):
            raise Refused(422, 'send {"hidden": true} to hide names, {"hidden": false} to show them.')
        await run_in_threadpool(store.set_setting, "names_hidden", "1" if body["hidden"] else "0")
        return JSONResponse({"names_hidden": body["hidden"]})

    async def clear(request: Request):
        _check_token(request, instructor_token)
        return JSONResponse({"removed": await run_in_threadpool(store.clear)})

    routes = [
        Route("/", index),
        Route("/api/runs", answer(list_runs), methods=["GET"]),
        Route("/api/runs", answer(post_run), methods=["POST"]),
        Route("/api/admin/hide", answer(hide), methods=["POST"]),
        Route("/api/admin/names", answer(names), methods=["POST"]),
        Route("/api/admin/clear", answer(clear), methods=["POST"]),
    ]
    return Starlette(routes=routes)
