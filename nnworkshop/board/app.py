"""The board's web service: a Starlette app over a ``Store``.

- ``GET /``                   the board page (no token: it shows runs, never a token)
- ``GET /api/runs``           every shown run as JSON (with curves), with ``version``; ``?version=N`` answers
                              ``{"unchanged": true}`` while N is still current (kept for scripts and old pages)
- ``GET /api/runs?since=N``   only what changed after the cursor N (new runs, hidden runs as ``{"run_id",
                              "hidden": true}``, checks), without curves, at most ``limit`` runs; ``wait=S``
                              holds the answer up to S seconds until something changes (long polling), so an
                              open page sees a new run at once and a quiet room costs nothing. The answer's
                              ``cursor`` is the next ``since``; a changed ``generation`` means: reload all;
                              ``reset`` means the cursor was from another board file (read from 0 instead).
- ``POST /api/runs``          a learner's run; needs the class token (``Authorization: Bearer T``); a learner
                              over the rate limit gets 429 with ``Retry-After``
- ``POST /api/runs/{id}/weights``  the run's trained weights (``protocol.pack`` bytes), scored by the board
                              on digits the learner never had (``check.py``); class token
- ``GET /api/private``        the private digits' ranking, once the instructor has revealed it
- ``POST /api/admin/hide``    ``{"run_ids": [...], "hidden": true}``: instructor token
- ``POST /api/admin/learner`` ``{"run_id": "..."}`` or ``{"name": "..."}`` and ``"hidden"``: all of one learner's runs
- ``GET /api/admin/learners``  the hidden learners (name, number, runs), to show them again; instructor token
- ``POST /api/admin/names``   ``{"hidden": true}``: show learners' names or not; instructor token
- ``POST /api/admin/reveal``  ``{"revealed": true}``: show the private ranking to everyone; instructor token
- ``POST /api/admin/clear``   remove every run; instructor token

Learners can only add runs: there is no way to change or remove a stored run with the class token,
and a resend of the same run (same ``run_id``, same contents) is answered as a duplicate, not stored twice.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import time
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from .check import MAX_WEIGHTS, CheckDigits, decode_weights, layer_sizes, score
from .limits import RateLimit
from .schema import MAX_BODY, clean_run
from .store import Conflict, Store

PAGE = Path(__file__).with_name("page.html")


PAGE_LIMIT = 5000  # runs in one answer to ?since=: a page opened on 20,000 runs reads them in four answers
MAX_WAIT = 25.0  # seconds a long poll may be held


class Refused(Exception):
    """A request answered with ``status`` and ``{"error": reason}`` (and any extra ``headers``)."""

    def __init__(self, status: int, reason: str, headers: dict | None = None):
        super().__init__(reason)
        self.status, self.reason, self.headers = status, reason, headers or {}


class Changes:
    """Wakes long polls when this process changed the store (other processes' changes are seen within 1 s)."""

    def __init__(self):
        self.event = asyncio.Event()

    def notify(self) -> None:
        old, self.event = self.event, asyncio.Event()
        old.set()


def _check_token(request: Request, *tokens: str) -> int:
    """Which of ``tokens`` the request carries (its index), else 401 / 403."""
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not value:
        raise Refused(401, "missing token: send the header 'Authorization: Bearer <token>' (the class token to post runs).")
    matches = [hmac.compare_digest(value.strip().encode(), t.encode()) for t in tokens]
    if not any(matches):
        raise Refused(403, "wrong token for this board: ask the instructor for the class token.")
    return matches.index(True)


async def _read_body(request: Request, limit: int, too_big: str) -> bytes:
    """The request's bytes, read no further than ``limit``."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limit):
        raise Refused(413, too_big)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Refused(413, too_big)
        chunks.append(chunk)
    return b"".join(chunks)


async def _json_body(request: Request):
    """The request's JSON, read no further than ``MAX_BODY`` bytes."""
    raw = await _read_body(request, MAX_BODY, f"the run is larger than {MAX_BODY // 1024} kB; send fewer epochs of curves.")
    try:
        return json.loads(raw)  # NaN / Infinity parse here and are refused by name in clean_run
    except RecursionError:
        raise Refused(400, "the body nests too deeply; a run is an object of fields, lists and numbers.") from None
    except ValueError as err:
        raise Refused(400, f"the body is not valid JSON ({err}).") from None


def _public(run: dict, names_hidden: bool, number: int) -> dict:
    out = {k: v for k, v in run.items() if k != "hidden"}
    if names_hidden:
        out["name"] = f"learner {number}"
    return out


def _summary(run: dict, names_hidden: bool, number: int) -> dict:
    """What the page draws of a run: everything but the curves (a twentieth of the bytes)."""
    if run.get("hidden"):
        return {"run_id": run["run_id"], "seq": run["seq"], "hidden": True}
    out = {k: v for k, v in run.items() if k != "curves"}
    out["learner"] = number
    if names_hidden:
        out["name"] = f"learner {number}"
    return out


def _int_param(request: Request, key: str, default, low, high):
    text = request.query_params.get(key)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        raise Refused(400, f"{key}={text[:20]!r} must be a number.") from None
    if not (low <= value <= high):
        raise Refused(400, f"{key}={text[:20]} is outside [{low}, {high}].")
    return value


def create_app(store: Store, class_token: str, instructor_token: str, *, rate_limit: RateLimit | None = None,
               check_digits: CheckDigits | None = None) -> Starlette:
    """The board app over ``store``. Learners post with ``class_token``; ``instructor_token`` (never shown on
    the page or sent to learners) hides runs and learners, hides names, reveals the private ranking and clears
    the board. ``rate_limit`` applies to each learner's posts (None: none); ``check_digits``: the digits the
    board scores posted weights on (None: the board says it cannot check runs)."""
    if not class_token or not instructor_token or class_token == instructor_token:
        raise ValueError("the class token and the instructor token must both be set, and differ.")
    page = PAGE.read_text(encoding="utf-8")
    changes = Changes()
    scoring = asyncio.Semaphore(1)  # one forward pass at a time: the page's reads stay quick while runs are checked
    full_list: dict = {}  # the last answer of GET /api/runs (every run, with curves), kept while it is current
    if check_digits is not None:
        checking = (f"checked: the board scores posted weights itself on {len(check_digits.check[1])} test digits "
                    "no dashboard trains or chooses on")
    else:
        checking = "this board has no digits to check runs with (start it with NNWORKSHOP_DATA set, or --check-digits FOLDER)"

    def limited(name: str, is_instructor: bool) -> None:
        if rate_limit is None or is_instructor:
            return
        wait = rate_limit.take(name)
        if wait:
            after = RateLimit.retry_after(wait)
            raise Refused(429, f"{name} is sending runs faster than this board takes them ({rate_limit.describe()}, "
                               f"and {rate_limit.new_names} new names per 10 minutes); try again in {after} s.",
                          {"Retry-After": after})

    def answer(func):
        async def endpoint(request: Request):
            try:
                return await func(request)
            except Refused as err:
                return JSONResponse({"error": err.reason}, status_code=err.status, headers=err.headers)
        return endpoint

    async def index(request: Request):
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    async def list_runs(request: Request):
        if "since" in request.query_params:
            return await list_changes(request)
        known = request.query_params.get("version")

        def read():
            version = store.version()
            if known is not None and known == str(version):
                return JSONResponse({"version": version, "unchanged": True}, headers={"Cache-Control": "no-store"})
            if full_list.get("version") != version:  # built once per change, however many ask for it
                names_hidden = store.setting("names_hidden") == "1"
                numbers: dict[str, int] = {}
                runs = []
                for run in store.runs():
                    number = numbers.setdefault(run["name"], len(numbers) + 1)
                    runs.append(_public(run, names_hidden, number))
                body = json.dumps({"version": version, "names_hidden": names_hidden, "runs": runs}).encode()
                full_list.update(version=version, body=body)
            return Response(full_list["body"], media_type="application/json", headers={"Cache-Control": "no-store"})
        return await run_in_threadpool(read)

    async def list_changes(request: Request):
        since = int(_int_param(request, "since", 0, 0, 2**62))
        limit = int(_int_param(request, "limit", PAGE_LIMIT, 1, PAGE_LIMIT))
        wait = _int_param(request, "wait", 0.0, 0.0, MAX_WAIT)
        deadline = time.monotonic() + wait
        reset = since > await run_in_threadpool(store.version)  # a cursor from another board file: start over
        if reset:
            since = 0
        while True:
            woken = changes.event
            if await run_in_threadpool(store.version) > since or time.monotonic() >= deadline:
                break
            try:  # woken at once by a change in this process, or within 1 s by another process's
                await asyncio.wait_for(woken.wait(), min(1.0, max(0.01, deadline - time.monotonic())))
            except asyncio.TimeoutError:
                pass

        def read():
            found = store.changes(since, limit)
            names_hidden = store.setting("names_hidden") == "1"
            return {"version": found["version"], "cursor": found["cursor"], "more": found["more"], "reset": reset,
                    "generation": int(store.setting("generation") or 0), "names_hidden": names_hidden,
                    "revealed": store.setting("revealed") == "1", "checking": checking,
                    "rate_limit": rate_limit.describe() if rate_limit else None,
                    "runs": [_summary(run, names_hidden, number) for run, number in found["runs"]]}
        return JSONResponse(await run_in_threadpool(read), headers={"Cache-Control": "no-store"})

    async def post_run(request: Request):
        is_instructor = _check_token(request, class_token, instructor_token) == 1
        body = await _json_body(request)
        try:
            run = clean_run(body)
        except ValueError as err:
            raise Refused(422, str(err)) from None
        limited(run["name"], is_instructor)
        try:
            stored = await run_in_threadpool(store.add, run)
        except Conflict as err:
            raise Refused(409, str(err)) from None
        if stored:
            changes.notify()
        return JSONResponse({"stored": stored, "duplicate": not stored, "run_id": run["run_id"]},
                            status_code=201 if stored else 200)

    async def post_weights(request: Request):
        is_instructor = _check_token(request, class_token, instructor_token) == 1
        run_id = request.path_params["run_id"]
        run = await run_in_threadpool(store.run, run_id)
        if run is None:
            raise Refused(404, f"no run {run_id[:64]!r} on this board: send the run first, then its weights.")
        if check_digits is None:
            raise Refused(503, checking + ".")
        if run["checked_acc"] is not None:
            return JSONResponse({"checked_acc": run["checked_acc"], "duplicate": True})
        sizes = layer_sizes(run)
        if sizes[0] != 784:
            raise Refused(422, f"the board checks networks on 28x28 digits (784 inputs); this run has {sizes[0]}.")
        limited(run["name"] + "\n weights", is_instructor)  # a bucket of its own: a checked run is two posts
        raw = await _read_body(request, MAX_WEIGHTS + 8, f"the weights are larger than {MAX_WEIGHTS // 2**20} MB; "
                                                          "the board checks networks of up to a million parameters.")
        try:
            layers = decode_weights(raw, sizes)
        except ValueError as err:
            raise Refused(422, str(err)) from None
        async with scoring:
            checked, private = await run_in_threadpool(score, check_digits, run, layers)
        if await run_in_threadpool(store.set_checked, run_id, checked, private):
            changes.notify()
        return JSONResponse({"checked_acc": checked, "duplicate": False}, status_code=201)

    async def private(request: Request):
        if store.setting("revealed") != "1":
            raise Refused(403, "the private ranking is revealed by the instructor at the end of the session.")
        names_hidden = store.setting("names_hidden") == "1"
        ranking = await run_in_threadpool(store.private_ranking)
        for row in ranking:
            if names_hidden:
                row["name"] = f"learner {row['learner']}"
        return JSONResponse({"ranking": ranking, "digits": len(check_digits.private[1]) if check_digits else 0})

    async def hide(request: Request):
        _check_token(request, instructor_token)
        body = await _json_body(request)
        body = body if isinstance(body, dict) else {}
        ids, hidden = body.get("run_ids"), body.get("hidden", True)
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids) or not isinstance(hidden, bool):
            raise Refused(422, 'send {"run_ids": ["..."], "hidden": true or false}.')
        changed = await run_in_threadpool(store.set_hidden, ids, hidden)
        changes.notify()
        return JSONResponse({"changed": changed})

    async def learner(request: Request):
        _check_token(request, instructor_token)
        body = await _json_body(request)
        body = body if isinstance(body, dict) else {}
        hidden, name = body.get("hidden", True), body.get("name")
        if isinstance(body.get("run_id"), str):  # the page knows runs by id (names may be hidden on it)
            name = await run_in_threadpool(store.learner_of, body["run_id"])
            if name is None:
                raise Refused(404, "no such run on this board.")
        if not isinstance(name, str) or not isinstance(hidden, bool):
            raise Refused(422, 'send {"run_id": "<one of their runs>"} or {"name": "..."}, and "hidden": true or false.')
        changed = await run_in_threadpool(store.set_learner_hidden, name, hidden)
        changes.notify()
        return JSONResponse({"changed": changed, "hidden": hidden})

    async def hidden_learners(request: Request):
        _check_token(request, instructor_token)
        return JSONResponse({"learners": await run_in_threadpool(store.hidden_learners)})

    async def reveal(request: Request):
        _check_token(request, instructor_token)
        body = await _json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("revealed"), bool):
            raise Refused(422, 'send {"revealed": true} to show the private ranking, {"revealed": false} to hide it.')
        await run_in_threadpool(store.set_setting, "revealed", "1" if body["revealed"] else "0")
        changes.notify()
        return JSONResponse({"revealed": body["revealed"]})

    async def names(request: Request):
        _check_token(request, instructor_token)
        body = await _json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("hidden"), bool):
            raise Refused(422, 'send {"hidden": true} to hide names, {"hidden": false} to show them.')
        await run_in_threadpool(store.set_setting, "names_hidden", "1" if body["hidden"] else "0", True)
        changes.notify()
        return JSONResponse({"names_hidden": body["hidden"]})

    async def clear(request: Request):
        _check_token(request, instructor_token)
        removed = await run_in_threadpool(store.clear)
        changes.notify()
        return JSONResponse({"removed": removed})

    routes = [
        Route("/", index),
        Route("/api/runs", answer(list_runs), methods=["GET"]),
        Route("/api/runs", answer(post_run), methods=["POST"]),
        Route("/api/runs/{run_id}/weights", answer(post_weights), methods=["POST"]),
        Route("/api/private", answer(private), methods=["GET"]),
        Route("/api/admin/hide", answer(hide), methods=["POST"]),
        Route("/api/admin/learner", answer(learner), methods=["POST"]),
        Route("/api/admin/learners", answer(hidden_learners), methods=["GET"]),
        Route("/api/admin/reveal", answer(reveal), methods=["POST"]),
        Route("/api/admin/names", answer(names), methods=["POST"]),
        Route("/api/admin/clear", answer(clear), methods=["POST"]),
    ]
    return Starlette(routes=routes)
