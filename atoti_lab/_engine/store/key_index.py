"""Key index: key -> row id of a keyed table.

A key is a tuple of int64 *parts* (a dictionary code, an integer value, or the bits of a float).
Two layouts:

* DenseIndex: one part whose values span a range not much wider than the number of rows (codes of
  a dictionary-encoded key, or ids such as 1..N). A plain int32 array indexed by ``value - base``:
  4 bytes a row, built and probed with sequential or near-sequential memory access.
* HashIndex: anything else. Open addressing with linear probing; keys are kept in the table so a
  probe never has to reach into the columns.

Both are built and probed by numba kernels; row ids are int32 (< 2**31 rows a table).
"""

from __future__ import annotations

import numpy as np
from numba import njit

EMPTY = -1


@njit(cache=True, nogil=True)
def _dense_insert(slots: np.ndarray, base: int, keys: np.ndarray, first_row: int) -> int:
    """Set slots[key - base] = first_row + i. On a key already present, undo and return its position."""
    for i in range(keys.shape[0]):
        j = keys[i] - base
        if slots[j] != EMPTY:
            for u in range(i):
                slots[keys[u] - base] = EMPTY
            return i
        slots[j] = first_row + i
    return -1


@njit(cache=True, nogil=True)
def _dense_probe(slots: np.ndarray, base: int, keys: np.ndarray) -> np.ndarray:
    out = np.empty(keys.shape[0], np.int32)
    n = slots.shape[0]
    for i in range(keys.shape[0]):
        j = keys[i] - base
        out[i] = slots[j] if 0 <= j < n else EMPTY
    return out


@njit(cache=True, nogil=True)
def _mix(h: np.uint64) -> np.uint64:
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    h ^= h >> np.uint64(33)
    return h


@njit(cache=True, nogil=True)
def _hash_row(parts: np.ndarray, i: int) -> np.uint64:
    h = np.uint64(0x9E3779B97F4A7C15)
    for p in range(parts.shape[0]):
        h = _mix(h ^ np.uint64(parts[p, i]))
    return h


@njit(cache=True, nogil=True)
def _hash_find(slot_rows: np.ndarray, slot_keys: np.ndarray, parts: np.ndarray, i: int) -> int:
    """Slot holding key i of `parts`, or the empty slot where it would go."""
    mask = slot_rows.shape[0] - 1
    s = np.int64(_hash_row(parts, i) & np.uint64(mask))  # uint64 mixed with int64 would become float
    k = parts.shape[0]
    while True:
        if slot_rows[s] == EMPTY:
            return s
        same = True
        for p in range(k):
            if slot_keys[p, s] != parts[p, i]:
                same = False
                break
        if same:
            return s
        s = (s + 1) & mask


@njit(cache=True, nogil=True)
def _hash_insert(slot_rows, slot_keys, parts, rows) -> int:
    """Insert keys with their rows; on a key already present, return its position (not undone)."""
    for i in range(parts.shape[1]):
        s = _hash_find(slot_rows, slot_keys, parts, i)
        if slot_rows[s] != EMPTY:
            return i
        slot_rows[s] = rows[i]
        for p in range(parts.shape[0]):
            slot_keys[p, s] = parts[p, i]
    return -1


@njit(cache=True, nogil=True)
def _hash_probe(slot_rows, slot_keys, parts) -> np.ndarray:
    out = np.empty(parts.shape[1], np.int32)
    for i in range(parts.shape[1]):
        out[i] = slot_rows[_hash_find(slot_rows, slot_keys, parts, i)]
    return out


@njit(cache=True, nogil=True)
def _last_occurrence(parts: np.ndarray) -> np.ndarray:
    """Mask keeping, for each distinct key of a batch, only its last row (upsert semantics)."""
    n = parts.shape[1]
    cap = 1
    while cap < 2 * n + 2:
        cap *= 2
    slot_rows = np.full(cap, EMPTY, np.int64)
    slot_keys = np.empty((parts.shape[0], cap), np.int64)
    keep = np.zeros(n, np.bool_)
    for i in range(n):
        s = _hash_find(slot_rows, slot_keys, parts, i)
        if slot_rows[s] != EMPTY:
            keep[slot_rows[s]] = False
        else:
            for p in range(parts.shape[0]):
                slot_keys[p, s] = parts[p, i]
        slot_rows[s] = i
        keep[i] = True
    return keep


@njit(cache=True, nogil=True)
def _dense_last_occurrence(keys: np.ndarray, lo: int, span: int) -> np.ndarray:
    winner = np.full(span, -1, np.int64)
    for i in range(keys.shape[0]):
        winner[keys[i] - lo] = i  # the last writer wins
    keep = np.empty(keys.shape[0], np.bool_)
    for i in range(keys.shape[0]):
        keep[i] = winner[keys[i] - lo] == i
    return keep


def last_occurrence(parts: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows of a batch that survive an upsert of the batch onto itself."""
    if parts.shape[0] == 1:
        keys = parts[0]
        lo, hi = (int(keys.min()), int(keys.max())) if len(keys) else (0, 0)
        if hi - lo < 4 * len(keys) + 1024:
            return _dense_last_occurrence(keys, lo, hi - lo + 1)
    return _last_occurrence(np.ascontiguousarray(parts, dtype=np.int64))


class DenseIndex:
    """Index of a one-part key whose values are dense."""

    def __init__(self) -> None:
        self.base = 0
        self.slots = np.full(0, EMPTY, np.int32)
        self.count = 0

    def _cover(self, lo: int, hi: int) -> None:
        """Grow so that keys lo..hi fit, with headroom so that appends rarely reallocate."""
        cur_lo, cur_hi = self.base, self.base + len(self.slots) - 1
        if len(self.slots) and lo >= cur_lo and hi <= cur_hi:
            return
        new_lo = min(lo, cur_lo) if len(self.slots) else lo
        new_hi = max(hi, cur_hi) if len(self.slots) else hi
        span = new_hi - new_lo + 1
        if len(self.slots):
            # Room for growth on the side that grew (ids usually increase).
            extra = max(span // 4, 1024)
            if hi > cur_hi:
                new_hi += extra
            if lo < cur_lo:
                new_lo -= extra
        slots = np.full(new_hi - new_lo + 1, EMPTY, np.int32)
        if len(self.slots):
            slots[cur_lo - new_lo : cur_lo - new_lo + len(self.slots)] = self.slots
        self.base, self.slots = new_lo, slots

    def fits(self, keys: np.ndarray) -> bool:
        """Whether adding `keys` keeps the index dense (span at most ~4 slots a row)."""
        if not len(keys):
            return True
        lo, hi = int(keys.min()), int(keys.max())
        if len(self.slots):
            lo, hi = min(lo, self.base), max(hi, self.base + len(self.slots) - 1)
        return hi - lo + 1 <= 4 * (self.count + len(keys)) + 4096

    def try_insert_range(self, parts: np.ndarray, first_row: int) -> int:
        """Insert keys for rows first_row, first_row + 1, ...; returns -1, or (changing nothing)
        the position of the first key already present."""
        keys = parts[0]
        if not len(keys):
            return -1
        self._cover(int(keys.min()), int(keys.max()))
        dup = _dense_insert(self.slots, self.base, keys, first_row)
        if dup < 0:
            self.count += len(keys)
        return dup

    def probe(self, parts: np.ndarray) -> np.ndarray:
        return _dense_probe(self.slots, self.base, parts[0])

    def nbytes(self) -> int:
        return self.slots.nbytes


class HashIndex:
    """Index of any key (one or more int64 parts)."""

    def __init__(self, n_parts: int) -> None:
        self.n_parts = n_parts
        self.count = 0
        self.slot_rows = np.full(16, EMPTY, np.int32)
        self.slot_keys = np.zeros((n_parts, 16), np.int64)

    def _reserve(self, n: int) -> None:
        if (self.count + n) * 10 <= len(self.slot_rows) * 7:
            return
        cap = len(self.slot_rows)
        while (self.count + n) * 10 > cap * 7:
            cap *= 2
        used = self.slot_rows != EMPTY
        old_rows, old_keys = self.slot_rows[used], self.slot_keys[:, used]
        self.slot_rows = np.full(cap, EMPTY, np.int32)
        self.slot_keys = np.zeros((self.n_parts, cap), np.int64)
        _hash_insert(self.slot_rows, self.slot_keys, np.ascontiguousarray(old_keys), old_rows)

    def try_insert_range(self, parts: np.ndarray, first_row: int) -> int:
        """Like DenseIndex.try_insert_range."""
        n = parts.shape[1]
        self._reserve(n)
        parts = np.ascontiguousarray(parts)
        dup = _hash_insert(self.slot_rows, self.slot_keys, parts, np.arange(first_row, first_row + n, dtype=np.int32))
        if dup >= 0:
            # Take back the keys inserted before the duplicate: rebuild without them.
            inserted = parts[:, :dup]
            rows = _hash_probe(self.slot_rows, self.slot_keys, np.ascontiguousarray(inserted))
            keep = np.ones(len(self.slot_rows), np.bool_)
            keep[np.flatnonzero(np.isin(self.slot_rows, rows))] = False
            self._rebuild(keep)
            return dup
        self.count += n
        return -1

    def _rebuild(self, keep: np.ndarray) -> None:
        used = (self.slot_rows != EMPTY) & keep
        rows, keys = self.slot_rows[used], self.slot_keys[:, used]
        self.slot_rows = np.full(len(self.slot_rows), EMPTY, np.int32)
        self.slot_keys = np.zeros_like(self.slot_keys)
        _hash_insert(self.slot_rows, self.slot_keys, np.ascontiguousarray(keys), rows)
        self.count = len(rows)

    def probe(self, parts: np.ndarray) -> np.ndarray:
        return _hash_probe(self.slot_rows, self.slot_keys, np.ascontiguousarray(parts))

    def nbytes(self) -> int:
        return self.slot_rows.nbytes + self.slot_keys.nbytes


class KeyIndex:
    """Chooses the layout from the data and switches from dense to hash when keys spread out."""

    def __init__(self, n_parts: int) -> None:
        self.n_parts = n_parts
        self.impl: DenseIndex | HashIndex = DenseIndex() if n_parts == 1 else HashIndex(n_parts)

    @property
    def count(self) -> int:
        return self.impl.count

    def try_insert_range(self, parts: np.ndarray, first_row: int) -> int:
        """Insert the keys of rows first_row... (consecutive, as appends are); -1 when done, else
        the position of the first key already present in the index or earlier in `parts` (and
        nothing was inserted)."""
        if isinstance(self.impl, DenseIndex) and not self.impl.fits(parts[0]):
            self._to_hash()
        return self.impl.try_insert_range(parts, first_row)

    def _to_hash(self) -> None:
        dense = self.impl
        assert isinstance(dense, DenseIndex)
        used = np.flatnonzero(dense.slots != EMPTY)
        hashed = HashIndex(1)
        hashed._reserve(len(used))
        _hash_insert(hashed.slot_rows, hashed.slot_keys, (used + dense.base).reshape(1, -1).astype(np.int64),
                     dense.slots[used])
        hashed.count = len(used)
        self.impl = hashed

    def probe(self, parts: np.ndarray) -> np.ndarray:
        """Row id of each key (int32), EMPTY where absent."""
        if parts.shape[1] == 0:
            return np.empty(0, np.int32)
        return self.impl.probe(parts)

    def nbytes(self) -> int:
        return self.impl.nbytes()
