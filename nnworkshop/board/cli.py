"""``nnworkshop board serve`` (run a class board) and ``nnworkshop board measure`` (how fast it is here)."""

from __future__ import annotations

import argparse
import socket


def _address(host: str, port: int) -> str:
    """The address to give the room: this machine's network address when listening on every interface."""
    shown = host
    if host in ("0.0.0.0", "::", ""):
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.connect(("10.255.255.255", 1))  # no packet is sent: this only picks the outgoing interface
                shown = s.getsockname()[0]
        except OSError:
            shown = socket.gethostname()
    return f"http://{shown}:{port}"


def serve(args) -> int:
    import uvicorn

    from .app import create_app
    from .check import CheckDigits
    from .limits import RateLimit
    from .store import open_store

    rate_limit = RateLimit.parse(args.rate_limit)
    digits = None if args.check_digits == "off" else CheckDigits.load(args.check_digits)
    store = open_store(args.store)
    class_token = store.token("class_token", args.token)
    instructor_token = store.token("instructor_token", args.instructor_token)
    app = create_app(store, class_token, instructor_token, rate_limit=rate_limit, check_digits=digits)
    address = _address(args.host, args.port)
    print(f"Class board: {address}", flush=True)
    print(f"Class token (give it to the room): {class_token}", flush=True)
    print(f"Instructor page (keep it to yourself): {address}/#instructor={instructor_token}", flush=True)
    print(f"Runs are kept in: {args.store}", flush=True)
    print(f"Rate limit: {rate_limit.describe() if rate_limit else 'off'}", flush=True)
    if digits is None:
        print("Checked runs: off (no MNIST test file found; set NNWORKSHOP_DATA or pass --check-digits FOLDER)", flush=True)
    else:
        print(f"Checked runs: on {len(digits.check[1])} test digits from {digits.source}, "
              f"{len(digits.private[1])} more kept private for the reveal", flush=True)
    if args.host == "127.0.0.1":
        print("Only this machine can reach it; add --host 0.0.0.0 to let the room in.", flush=True)
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, timeout_graceful_shutdown=2)
    finally:
        store.close()
    return 0


def measure(args) -> int:
    from .measure import main as measure_main

    return measure_main(args)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="nnworkshop board", description="A class board where the room's runs meet.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    p = sub.add_parser("serve", help="run the board (prints its address and the class token)")
    p.add_argument("--store", default="board.sqlite",
                   help="a SQLite file (default board.sqlite) or postgresql://user:password@host/db")
    p.add_argument("--host", default="127.0.0.1", help="127.0.0.1 (this machine only) or 0.0.0.0 (the room)")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--token", help="the class token learners post with (default: kept in the store, made once)")
    p.add_argument("--instructor-token", help="the token that hides and clears runs (default: kept in the store)")
    p.add_argument("--rate-limit", default="30/60", metavar="RUNS/SECONDS",
                   help="how many runs each learner may post per so many seconds (default 30/60; 'off' for none)")
    p.add_argument("--check-digits", default=None, metavar="FOLDER",
                   help="the MNIST folder whose test file checks posted weights (default: NNWORKSHOP_DATA or the "
                        "cache folder; 'off' to check nothing)")
    p.add_argument("--log-level", default="warning")
    p.set_defaults(func=serve)
    m = sub.add_parser("measure", help="a room flat out: posts/s, post-to-page latency, memory, a SIGKILL (127.0.0.1 only)")
    m.add_argument("--runs", type=int, default=20_000, help="post until this many runs are stored (default 20000)")
    m.add_argument("--learners", type=int, default=100, help="how many learners post at once, back to back (default 100)")
    m.add_argument("--probes", type=int, default=5, help="new runs timed from the post to the open page (needs the browser)")
    m.add_argument("--kill-after", type=float, default=2.0, help="seconds into the second burst to SIGKILL the server")
    m.set_defaults(func=measure)
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)
