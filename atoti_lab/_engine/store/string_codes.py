"""StringCodes: a hash table from UTF-8 bytes to dictionary codes, probed straight from Arrow buffers.

A string column's dictionary (dictionary.py) maps Python strings to codes. Encoding a batch through
it means creating a Python string per distinct value and one dict lookup each, which dominates
the cost of small streaming appends. This table mirrors the dictionary's first `n` keys as bytes,
so a batch of an Arrow string array is encoded by one numba pass over its offsets and data
buffers: no Python objects, no per-batch hashing in Arrow. Values it does not know yet are left
to the dictionary (which adds them) and mirrored afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
from numba import njit

MISSING = -1

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


@njit(cache=True, nogil=True)
def _hash(data: np.ndarray, start: int, end: int) -> np.uint64:
    h = _FNV_OFFSET
    for i in range(start, end):
        h = (h ^ np.uint64(data[i])) * _FNV_PRIME
    h ^= h >> np.uint64(29)  # FNV's low bits are weak; the slot is taken from them
    return h


@njit(cache=True, nogil=True)
def _find(slots, offsets, data, q_data, a, b, h) -> int:
    """Slot holding the string q_data[a:b], or the empty slot where it would go."""
    mask = slots.shape[0] - 1
    s = np.int64(h & np.uint64(mask))
    n = b - a
    while True:
        c = slots[s]
        if c < 0:
            return s
        ca = offsets[c]
        if offsets[c + 1] - ca == n:
            same = True
            for k in range(n):
                if data[ca + k] != q_data[a + k]:
                    same = False
                    break
            if same:
                return s
        s = (s + 1) & mask


@njit(cache=True, nogil=True)
def _insert(slots, offsets, data, lo: int, hi: int, skip: np.ndarray) -> None:
    for c in range(lo, hi):
        if skip[c - lo]:
            continue
        a, b = offsets[c], offsets[c + 1]
        s = _find(slots, offsets, data, data, a, b, _hash(data, a, b))
        if slots[s] < 0:
            slots[s] = c


@njit(cache=True, nogil=True)
def _lookup(slots, offsets, data, q_offsets, q_data, out) -> int:
    """Code of each query string (MISSING when unknown); returns the number missing."""
    missing = 0
    for i in range(out.shape[0]):
        a, b = np.int64(q_offsets[i]), np.int64(q_offsets[i + 1])
        c = slots[_find(slots, offsets, data, q_data, a, b, _hash(q_data, a, b))]
        out[i] = c
        if c < 0:
            missing += 1
    return missing


class StringCodes:
    """Codes 0..n-1 of a string dictionary, as bytes in one buffer, with an open-addressing index."""

    def __init__(self) -> None:
        self.n = 0
        self.offsets = np.zeros(1 << 10, np.int64)  # code c: data[offsets[c]:offsets[c + 1]], c < n
        self.data = np.empty(1 << 12, np.uint8)
        self.slots = np.full(1 << 10, MISSING, np.int32)
        self.none = np.zeros(1 << 10, np.bool_)  # codes of the missing value: never matched

    def extend(self, keys: Sequence[str | None]) -> None:
        """Mirror the next codes of the dictionary (keys in code order; None is never looked up)."""
        if not keys:
            return
        encoded = [b"" if k is None else k.encode("utf-8") for k in keys]
        lengths = np.fromiter((len(e) for e in encoded), np.int64, len(encoded))
        start = int(self.offsets[self.n])
        end = start + int(lengths.sum())
        if end > len(self.data):
            data = np.empty(max(end, 2 * len(self.data)), np.uint8)
            data[:start] = self.data[:start]
            self.data = data
        self.data[start:end] = np.frombuffer(b"".join(encoded), np.uint8)
        lo, self.n = self.n, self.n + len(keys)
        if self.n + 1 > len(self.offsets):  # grown by doubling: a dictionary growing every batch stays linear
            cap = max(self.n + 1, 2 * len(self.offsets))
            self.offsets = np.resize(self.offsets, cap)
            self.none = np.resize(self.none, cap)
        self.offsets[lo + 1 : self.n + 1] = start + np.cumsum(lengths)
        self.none[lo : self.n] = np.fromiter((k is None for k in keys), np.bool_, len(keys))
        if self.n * 2 > len(self.slots):  # keep the load factor under 1/2: rebuild bigger
            cap = len(self.slots)
            while self.n * 2 > cap:
                cap *= 2
            self.slots = np.full(cap, MISSING, np.int32)
            lo = 0
        _insert(self.slots, self.offsets, self.data, lo, self.n, self.none[lo : self.n])

    def lookup(self, array: pa.Array) -> np.ndarray | None:
        """Codes of a plain Arrow string array (MISSING for unknown values, anything for nulls),
        or None when the array's layout is not one this table reads."""
        if array.type == pa.string():
            off_type = np.int32
        elif array.type == pa.large_string():
            off_type = np.int64
        else:
            return None
        buffers = array.buffers()
        n = len(array)
        q_offsets = np.frombuffer(buffers[1], off_type, n + 1, array.offset * np.dtype(off_type).itemsize)
        q_data = np.frombuffer(buffers[2], np.uint8) if buffers[2] is not None else np.zeros(0, np.uint8)
        out = np.empty(n, np.int64)
        _lookup(self.slots, self.offsets, self.data, q_offsets, q_data, out)
        return out
