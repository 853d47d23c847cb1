"""What a child sends cannot make the grader allocate beyond ``protocol.Budget``.

Each hostile message is real: decoded naively, it names gigabytes (or recursion without end). Decoded by the
grader it is refused with a ProtocolError naming the figure over budget, with at most a few megabytes allocated
(tracemalloc) and in well under a second. Graded as a submission, the message costs that submission its grade
(status ``error``, 0 points) and the honest submissions graded after it in the same batch keep full marks.
"""

from __future__ import annotations

import json
import math
import os
import struct
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from nnworkshop.grading import protocol
from nnworkshop.grading.protocol import REPLY, ProtocolError

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
ANSWERS = (HERE / "submissions" / "kernel" / "_answers.py").read_text(encoding="utf-8")
MB = 2**20


def _body(obj_json: str, sizes: list[int], blobs: bytes = b"") -> bytes:
    head = ('{"obj": ' + obj_json + ', "sizes": ' + json.dumps(sizes) + "}").encode()
    return struct.pack("!I", len(head)) + head + blobs


def _nd(i: int, shape, dtype="<f8") -> str:
    return json.dumps({"__nd__": i, "dtype": dtype, "shape": shape})


# name -> (body, bytes a naive decoder would allocate for it (None: another harm), the words of the refusal)
BLOB = 8 * MB
HOSTILE = {
    "huge shape": (_body(_nd(0, [2**33, 2**31]), [0]), 2**64 * 8, "does not match its shape"),
    "one array named many times": (_body("[" + ",".join([_nd(0, [BLOB // 8])] * 1000) + "]", [BLOB], bytes(BLOB)),
                                   1000 * BLOB, "named twice"),
    "many small arrays": (_body("[" + ",".join(_nd(i, [1]) for i in range(5000)) + "]", [8] * 5000, bytes(8 * 5000)),
                          5000 * 112, "objects, over"),
    "deep nesting": (_body("[" * 200_000 + "]" * 200_000, []), None, "nests deeper"),
    "a million values": (_body("[" + "0," * 499_999 + "0]", []), 500_000 * 8, "values, over"),
    "many objects": (_body("[" + ",".join(["{}"] * 30_000) + "]", []), 30_000 * 64, "objects, over"),
    "many arrays in few objects": (_body("[" + ",".join(_nd(0, [1]) for i in range(1)) + "]", [8] * 5000, bytes(8)),
                                   None, "arrays, over"),
    "header over budget": (_body('"' + "x" * (2 * MB) + '"', []), 2 * MB, "byte limit"),
    "non-ASCII header": (_body('"\u00e9"'.encode("utf-16").decode("latin-1"), []), None, "not ASCII"),
    "bytes no value names": (_body("0", [BLOB], bytes(BLOB)), None, "no value names"),
    "arrays past the message": (_body(_nd(0, [4]), [32]), None, "do not fill"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_message_is_refused_within_budget(name):
    body, _, words = HOSTILE[name]
    tracemalloc.start()
    tracemalloc.reset_peak()
    t0 = time.perf_counter()
    try:
        with pytest.raises(ProtocolError, match=words):
            protocol.unpack(body, REPLY)
        seconds = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < len(body) + 2 * MB, f"decoding allocated {peak / MB:.1f} MB"
    assert seconds < 1.0


def test_the_deep_nesting_attack_is_real():
    """Without the scan, json.loads gives up only after exhausting Python's recursion (RecursionError)."""
    with pytest.raises(RecursionError):
        json.loads("[" * 200_000 + "]" * 200_000)


def test_the_budget_leaves_room_for_honest_replies():
    honest = {"ok": True, "value": [np.random.default_rng(0).random((2000, 10)), list(range(2000)), "x" * 3000]}
    got = protocol.unpack(protocol.pack(honest)[8:], REPLY)
    assert np.array_equal(got["value"][0], honest["value"][0]) and got["value"][1:] == honest["value"][1:]


def test_a_declared_length_over_budget_is_refused_before_the_body_is_read():
    r, w = os.pipe()
    try:
        os.write(w, struct.pack("!Q", 2**62))  # and nothing else: reading the body would block forever
        tracemalloc.start()
        with pytest.raises(ProtocolError, match="over the"):
            protocol.read_message(r, REPLY)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < MB
    finally:
        os.close(r)
        os.close(w)


def test_the_budget_bounds_what_json_can_build():
    """The worst header within the budget (values and objects at their limits) builds less than ``json_bytes``."""
    n_obj = REPLY.objects - 1
    n_val = (REPLY.values - 4 * n_obj) // 2 - 10
    text = "[" + ",".join(['{"__map__":[]}'] * n_obj + ["[1.5e300]"] * n_val) + "]"
    body = _body(text, [])
    protocol.scan_header(body[4:], REPLY)
    tracemalloc.start()
    protocol.unpack(body, REPLY)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < REPLY.json_bytes + 2 * len(body), (peak, REPLY.json_bytes)


# ---------------------------------------------------------------- graded: the submission loses, the batch goes on

SEND = '''
# %%
import os, stat, struct, time, fcntl


def _result_pipes():
    fds = []
    for fd in range(3, 256):
        try:
            st = os.fstat(fd)
        except OSError:
            continue
        if stat.S_ISFIFO(st.st_mode) and fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY:
            fds.append(fd)
    return fds


def sigmoid(x):
    payload = @@PAYLOAD@@
    for fd in _result_pipes():
        try:
            os.write(fd, struct.pack("!Q", len(payload)) + payload if len(payload) < 2**40 else payload)
        except OSError:
            pass
    time.sleep(30)
'''

PAYLOADS = {
    "huge_length": 'b"\\xff" * 8 + b"x" * 1000',
    "alias_bomb": "struct.pack('!I', len(H)) + H + bytes(8 << 20) if (H := ('{\"obj\": [' + ','.join(['{\"__nd__\": 0, \"dtype\": \"<f8\", \"shape\": [1048576]}'] * 5000) + '], \"sizes\": [8388608]}').encode()) else b''",
    "deep_nest": "struct.pack('!I', len(H)) + H if (H := b'{\"obj\": ' + b'[' * 100000 + b']' * 100000 + b', \"sizes\": []}') else b''",
}


@pytest.fixture(scope="module")
def hostile_batch(tmp_path_factory):
    from nnworkshop.grading.grader import Options, grade

    tmp = tmp_path_factory.mktemp("budget")
    subs = []
    for name, payload in PAYLOADS.items():
        p = tmp / f"{name}.py"
        p.write_text(ANSWERS + SEND.replace("@@PAYLOAD@@", payload))
        subs.append(p)
    honest = REPO / "solutions" / "q1_activations.ipynb"
    opts = Options(exercise="q1", cell_timeout=20, timeout=60, memory_mb=300, guard=False)
    results = grade(subs + [honest], opts, workers=1)
    return {Path(r.path).stem: r for r in results}


@pytest.mark.parametrize("name", list(PAYLOADS))
def test_a_hostile_reply_costs_the_submission_its_grade(hostile_batch, name):
    r = hostile_batch[name]
    assert (r.status, r.total) == ("error", 0.0), r.detail
    assert r.detail.startswith("the submission sent the grader a message it refuses, so it is not graded"), r.detail


def test_the_honest_submission_after_them_keeps_full_marks(hostile_batch):
    r = hostile_batch["q1_activations"]
    assert (r.status, r.total) == ("ok", 10.0), r.detail
