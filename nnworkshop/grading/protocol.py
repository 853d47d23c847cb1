"""The wire format between the grader (parent) and a submission's process (child), decoded within a budget.

A message is ``8-byte length | 4-byte header length | JSON header | array bytes``. Arrays travel as raw
bytes described in the header (dtype from a short allow-list, shape); dicts as ``{"__map__": [[k, v], ...]}``.
There is no pickle anywhere: the parent decodes only numbers, strings, lists, dicts and plain float/int
arrays, so nothing the child sends can run code in the parent.

Everything the child says is hostile until counted. ``Budget`` fixes what decoding one message may cost the
grader, and every figure is checked *before* the memory it stands for is taken: the declared length before the
body is read (``check_length``), the header's size, characters, nesting depth and number of values by scanning
its bytes before ``json.loads`` builds a single object (``scan_header``), every array's shape × dtype size with
Python integers (no overflow) and against the bytes actually sent, each array's bytes used once, before any
array is copied. Decoding a reply therefore costs at most about the message's bytes twice (the body read, the
arrays copied out) plus ``Budget.json_bytes`` for the header's objects, and time linear in the message.
"""

from __future__ import annotations

import json
import math
import os
import re
import struct
from dataclasses import dataclass

import numpy as np

DTYPES = ("<f8", "<f4", "<f2", "<i8", "<i4", "<i2", "|i1", "|u1", "<u2", "<u4", "<u8", "|b1")


@dataclass(frozen=True)
class Budget:
    """The most one decoded message may hold; a message over any figure is refused whole (``ProtocolError``)."""

    message: int  # bytes after the 8-byte length (header and arrays)
    header: int  # bytes of JSON
    depth: int  # JSON nesting (a dict is three levels: {"__map__": [[k, v]]})
    values: int  # JSON values of every kind (numbers, strings, lists, objects) together
    objects: int  # JSON objects ({...}: a dict or an array's description), the dearest value to build; counted
    # before the header is parsed, so it also bounds the arrays before their descriptions are built
    arrays: int  # arrays
    array_bytes: int  # bytes of all arrays together
    ndim: int  # dimensions of one array

    @property
    def json_bytes(self) -> int:
        """An upper bound on what ``json.loads`` allocates for a header within this budget: each value at most
        64 bytes plus its list slot, each object at most 1 KB, each character of a string at most one byte
        (headers are ASCII), and Python's str and int headers."""
        return self.values * 136 + self.objects * 1024 + self.header * 2


# What the grader accepts from a child: the largest honest reply is q6's predictions for a few thousand digits
# (2000 × 10 float64 = 160 KB) or a traceback of 3 KB; this leaves a hundred times that.
REPLY = Budget(message=16 * 2**20, header=2**20, depth=64, values=100_000, objects=4096, arrays=4096,
               array_bytes=16 * 2**20, ndim=8)
# What a child accepts from its grader (trusted: it only guards against a broken pipe): the hidden digits travel here.
REQUEST = Budget(message=256 * 2**20, header=16 * 2**20, depth=64, values=2_000_000, objects=200_000, arrays=65536,
                 array_bytes=256 * 2**20, ndim=32)
MAX_MESSAGE = REPLY.message  # kept for callers that only check the length

_STRING = re.compile(rb'"(?:[^"\\\x00-\x1f]|\\.)*"')
_CHUNK = 1 << 16
_STEP = np.zeros(256, dtype=np.int8)  # +1 for an opening bracket, -1 for a closing one
_STEP[[ord("["), ord("{")]], _STEP[[ord("]"), ord("}")]] = 1, -1


class ProtocolError(RuntimeError):
    """A message that is not in the wire format or is over its ``Budget`` (a broken or meddling child)."""


def pack(obj) -> bytes:
    """One framed message holding ``obj`` (None, bool, int, float, str, ndarray, list/tuple, dict)."""
    blobs: list[bytes] = []

    def enc(x, depth=0):
        if depth > 16:
            raise ProtocolError("nested too deeply")
        if isinstance(x, np.ndarray):
            a = np.ascontiguousarray(x)
            if a.dtype.str not in DTYPES:
                a = a.astype(np.float64)
            blobs.append(a.tobytes())
            return {"__nd__": len(blobs) - 1, "dtype": a.dtype.str, "shape": list(a.shape)}
        if isinstance(x, dict):
            return {"__map__": [[str(k), enc(v, depth + 1)] for k, v in x.items()]}
        if isinstance(x, (list, tuple)):
            return [enc(v, depth + 1) for v in x]
        if x is None or type(x) in (bool, int, float, str):
            return x
        if isinstance(x, (np.integer, np.floating, np.bool_)):
            return x.item()
        raise ProtocolError(f"cannot send a {type(x).__name__}")

    head = json.dumps({"obj": enc(obj), "sizes": [len(b) for b in blobs]}).encode()
    body = struct.pack("!I", len(head)) + head + b"".join(blobs)
    return struct.pack("!Q", len(body)) + body


def check_length(n: int, budget: Budget) -> None:
    """Refuse a declared message length over the budget, before a byte of the body is read."""
    if n > budget.message:
        raise ProtocolError(f"a message of {n} bytes is over the {budget.message} byte limit")


def scan_header(head, budget: Budget) -> None:
    """Count what ``json.loads(head)`` would build, without building it: refuse non-ASCII bytes, a header over
    ``budget.header`` bytes, nesting deeper than ``budget.depth``, more than ``budget.values`` values or
    ``budget.objects`` objects. Cost: a regular expression and numpy sums over the header's bytes, in chunks;
    about twice the header's bytes of memory."""
    if len(head) > budget.header:
        raise ProtocolError(f"a header of {len(head)} bytes is over the {budget.header} byte limit")
    head = bytes(head)
    if not head.isascii():
        raise ProtocolError("the header is not ASCII JSON")
    bare, last = bytearray(), 0
    for m in _STRING.finditer(head):  # every string becomes one value (streamed: no list of pieces is built)
        bare += head[last : m.start()]
        bare += b"0"
        last = m.end()
    bare += head[last:]
    if b'"' in bare:
        raise ProtocolError("the header has an unterminated string")
    level = top = opens = commas = objects = 0
    for at in range(0, len(bare), _CHUNK):  # in chunks, so the scan itself costs a few hundred KB
        b = np.frombuffer(bare, dtype=np.uint8, count=min(_CHUNK, len(bare) - at), offset=at)
        step = _STEP[b]
        depth = np.cumsum(step, dtype=np.int32)
        if depth.size:
            top = max(top, level + int(depth.max()))
            if level + int(depth.min()) < 0:
                raise ProtocolError("the header's brackets are unbalanced")
            level += int(depth[-1])
        opens += int(np.count_nonzero(step > 0))
        commas += int(np.count_nonzero((b == ord(",")) | (b == ord(":"))))
        objects += int(np.count_nonzero(b == ord("{")))
    if top > budget.depth:
        raise ProtocolError(f"the header nests deeper than {budget.depth} levels")
    values = opens + commas + 1
    if values > budget.values:
        raise ProtocolError(f"the header holds about {values} values, over the {budget.values} limit")
    if objects > budget.objects:
        raise ProtocolError(f"the header holds {objects} objects, over the {budget.objects} limit")


def _array_plan(head: dict, n_body: int, start: int, budget: Budget) -> list[int]:
    """The offset of each array's bytes, after checking that the sizes fill the message exactly."""
    sizes = head.get("sizes") if isinstance(head, dict) else None
    if not isinstance(sizes, list) or not all(type(s) is int and s >= 0 for s in sizes):
        raise ProtocolError("bad header: no list of array sizes")
    if len(sizes) > budget.arrays:
        raise ProtocolError(f"{len(sizes)} arrays, over the {budget.arrays} limit")
    total = sum(sizes)
    if total > budget.array_bytes:
        raise ProtocolError(f"{total} bytes of arrays, over the {budget.array_bytes} byte limit")
    if start + total != n_body:
        raise ProtocolError("the array bytes do not fill the message")
    offsets, pos = [], start
    for s in sizes:
        offsets.append(pos)
        pos += s
    return offsets


def unpack(body, budget: Budget = REPLY):
    """Decode one message body (without its 8-byte length; bytes, bytearray or memoryview) into plain Python and
    fresh ndarrays, within ``budget``; ``ProtocolError`` names the first figure over it."""
    view = memoryview(body)
    check_length(len(view), budget)
    if len(view) < 4:
        raise ProtocolError("message too short")
    (n_head,) = struct.unpack("!I", view[:4])
    if n_head > len(view) - 4:
        raise ProtocolError("header longer than the message")
    raw = view[4 : 4 + n_head]
    scan_header(raw, budget)
    try:
        head = json.loads(bytes(raw))
    except (ValueError, RecursionError) as err:
        raise ProtocolError(f"bad header: {str(err)[:200]}") from None
    offsets = _array_plan(head, len(view), 4 + n_head, budget)
    sizes = head["sizes"]
    used = [False] * len(sizes)

    def array(x):
        i, dtype, shape = x.get("__nd__"), x.get("dtype"), x.get("shape")
        if len(x) != 3 or type(i) is not int or not 0 <= i < len(sizes) or dtype not in DTYPES:
            raise ProtocolError("bad array description")
        if used[i]:
            raise ProtocolError("an array's bytes are named twice")
        used[i] = True
        if not isinstance(shape, list) or len(shape) > budget.ndim or not all(type(d) is int and d >= 0 for d in shape):
            raise ProtocolError("bad array shape")
        dt = np.dtype(dtype)
        if math.prod(shape) * dt.itemsize != sizes[i]:  # Python integers: a huge shape cannot wrap round
            raise ProtocolError("array size does not match its shape")
        count = sizes[i] // dt.itemsize
        return np.frombuffer(view, dtype=dt, count=count, offset=offsets[i]).reshape(shape).copy()

    def dec(x, depth=0):
        if depth > budget.depth:
            raise ProtocolError("nested too deeply")
        if isinstance(x, list):
            return [dec(v, depth + 1) for v in x]
        if isinstance(x, dict):
            if len(x) == 1 and isinstance(x.get("__map__"), list):
                out = {}
                for pair in x["__map__"]:
                    if not (isinstance(pair, list) and len(pair) == 2 and type(pair[0]) is str):
                        raise ProtocolError("bad map entry")
                    out[pair[0]] = dec(pair[1], depth + 1)
                return out
            if "__nd__" in x:
                return array(x)
            raise ProtocolError("unknown object")
        if x is None or type(x) in (bool, int, float, str):
            return x
        raise ProtocolError("unknown value")

    if not isinstance(head, dict) or set(head) != {"obj", "sizes"}:
        raise ProtocolError("bad header: not {obj, sizes}")
    obj = dec(head["obj"])
    if not all(used):
        raise ProtocolError("array bytes sent that no value names")
    return obj


def write_message(fd: int, obj) -> None:
    """Send ``obj`` on a file descriptor (blocking)."""
    data = memoryview(pack(obj))
    while data:
        n = os.write(fd, data)
        data = data[n:]


def read_exact(fd: int, n: int) -> bytearray:
    """Read exactly ``n`` bytes (blocking) into one buffer; EOFError when the other side has gone. The caller
    checks ``n`` against its budget first."""
    buf, got = bytearray(n), 0
    view = memoryview(buf)
    while got < n:
        k = os.readv(fd, [view[got : got + (1 << 20)]])
        if not k:
            raise EOFError("the other side closed the pipe")
        got += k
    return buf


def read_message(fd: int, budget: Budget = REQUEST):
    """Receive one message (blocking), its length checked against ``budget`` before the body is read."""
    (n,) = struct.unpack("!Q", read_exact(fd, 8))
    check_length(n, budget)
    return unpack(read_exact(fd, n), budget)
