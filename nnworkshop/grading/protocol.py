"""The wire format between the grader (parent) and a submission's process (child).

A message is ``8-byte length | 4-byte header length | JSON header | array bytes``. Arrays travel as raw
bytes described in the header (dtype from a short allow-list, shape); dicts as ``{"__map__": [[k, v], ...]}``.
There is no pickle anywhere: the parent decodes only numbers, strings, lists, dicts and plain float/int
arrays, so nothing the child sends can run code in the parent.
"""

from __future__ import annotations

import json
import os
import struct

import numpy as np

MAX_MESSAGE = 64 * 2**20  # a message larger than this is refused (a child cannot exhaust the parent)
MAX_HEADER = 2**20  # JSON beyond this is refused before decoding: 3 bytes of "[]," become a Python list each
DTYPES = ("<f8", "<f4", "<f2", "<i8", "<i4", "<i2", "|i1", "|u1", "<u2", "<u4", "<u8", "|b1")


class ProtocolError(RuntimeError):
    """A message that is not in the wire format (a broken or meddling child)."""


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


def unpack(body: bytes):
    """Decode one message body (without its 8-byte length) into plain Python and fresh ndarrays."""
    if len(body) < 4:
        raise ProtocolError("message too short")
    (n_head,) = struct.unpack("!I", body[:4])
    if n_head > len(body) - 4:
        raise ProtocolError("header longer than the message")
    if n_head > MAX_HEADER:
        raise ProtocolError(f"header of {n_head} bytes is over the {MAX_HEADER} byte limit")
    try:
        head = json.loads(body[4 : 4 + n_head])
        sizes = [int(s) for s in head["sizes"]]
    except (ValueError, KeyError, TypeError) as err:
        raise ProtocolError(f"bad header: {err}") from None
    offsets, pos = [], 4 + n_head
    for s in sizes:
        if s < 0 or pos + s > len(body):
            raise ProtocolError("array bytes missing")
        offsets.append(pos)
        pos += s

    def dec(x, depth=0):
        if depth > 16:
            raise ProtocolError("nested too deeply")
        if isinstance(x, list):
            return [dec(v, depth + 1) for v in x]
        if isinstance(x, dict):
            if "__map__" in x and len(x) == 1:
                return {str(k): dec(v, depth + 1) for k, v in x["__map__"]}
            if "__nd__" in x:
                i, dtype, shape = x["__nd__"], x.get("dtype"), x.get("shape")
                if type(i) is not int or not 0 <= i < len(sizes) or dtype not in DTYPES:
                    raise ProtocolError("bad array description")
                if not isinstance(shape, list) or not all(type(d) is int and d >= 0 for d in shape):
                    raise ProtocolError("bad array shape")
                dt = np.dtype(dtype)
                if int(np.prod(shape, dtype=np.int64)) * dt.itemsize != sizes[i]:
                    raise ProtocolError("array size does not match its shape")
                return np.frombuffer(body, dtype=dt, count=int(np.prod(shape)), offset=offsets[i]).reshape(shape).copy()
            raise ProtocolError("unknown object")
        if x is None or type(x) in (bool, int, float, str):
            return x
        raise ProtocolError("unknown value")

    return dec(head.get("obj"))


def write_message(fd: int, obj) -> None:
    """Send ``obj`` on a file descriptor (blocking)."""
    data = memoryview(pack(obj))
    while data:
        n = os.write(fd, data)
        data = data[n:]


def read_exact(fd: int, n: int) -> bytes:
    """Read exactly ``n`` bytes (blocking); EOFError when the other side has gone."""
    parts, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the pipe")
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def read_message(fd: int):
    """Receive one message (blocking)."""
    (n,) = struct.unpack("!Q", read_exact(fd, 8))
    if n > MAX_MESSAGE:
        raise ProtocolError(f"message of {n} bytes is over the {MAX_MESSAGE} byte limit")
    return unpack(read_exact(fd, n))
