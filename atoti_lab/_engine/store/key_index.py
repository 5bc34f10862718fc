"""Key index: key -> row id of a keyed table.

A key is a tuple of int64 *parts* (a dictionary code, an integer value, or the bits of a float).
Two layouts:

* PagedIndex: one part whose values come in dense runs (codes of a dictionary-encoded key, ids such
  as 1..N, or ids continuing from some far base). int32 pages indexed by the value's low bits:
  about 4 bytes a row, built and probed with sequential or near-sequential memory access.
* HashIndex: anything else. Open addressing with linear probing; keys are kept in the table so a
  probe never has to reach into the columns.

Both are built and probed by numba kernels; row ids are int32 (< 2**31 rows a table).
"""

from __future__ import annotations

import numpy as np
from numba import njit

EMPTY = -1


PAGE_BITS = 12
PAGE = 1 << PAGE_BITS  # slots a page: 16 KiB of int32 row ids
PAGE_MASK = PAGE - 1


@njit(cache=True, nogil=True)
def _page_row(page_ids: np.ndarray, page_rows: np.ndarray, n_pages: int, pid: int) -> int:
    """Row of page `pid` in the page array (binary search of the sorted directory), or -1."""
    lo, hi = 0, n_pages
    while lo < hi:
        mid = (lo + hi) >> 1
        if page_ids[mid] < pid:
            lo = mid + 1
        else:
            hi = mid
    if lo < n_pages and page_ids[lo] == pid:
        return page_rows[lo]
    return -1


@njit(cache=True, nogil=True)
def _paged_insert(pages, page_ids, page_rows, n_pages, keys, first_row) -> int:
    """Set the slot of each key to first_row + i. On a key already present, undo and return its
    position. Every key's page exists (see PagedIndex._add_pages)."""
    last_pid, row = np.int64(-1) << 62, -1
    for i in range(keys.shape[0]):
        pid = keys[i] >> PAGE_BITS
        if pid != last_pid:  # consecutive keys usually share a page
            last_pid, row = pid, _page_row(page_ids, page_rows, n_pages, pid)
        j = keys[i] & PAGE_MASK
        if pages[row, j] != EMPTY:
            for u in range(i):
                pages[_page_row(page_ids, page_rows, n_pages, keys[u] >> PAGE_BITS), keys[u] & PAGE_MASK] = EMPTY
            return i
        pages[row, j] = first_row + i
    return -1


@njit(cache=True, nogil=True)
def _paged_probe(pages, page_ids, page_rows, n_pages, keys) -> np.ndarray:
    out = np.empty(keys.shape[0], np.int32)
    last_pid, row = np.int64(-1) << 62, -1
    for i in range(keys.shape[0]):
        pid = keys[i] >> PAGE_BITS
        if pid != last_pid:
            last_pid, row = pid, _page_row(page_ids, page_rows, n_pages, pid)
        out[i] = pages[row, keys[i] & PAGE_MASK] if row >= 0 else EMPTY
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


class PagedIndex:
    """Index of a one-part key whose values come in dense runs (dictionary codes, ids 1..N, ids
    continuing from any base): direct addressing in pages of PAGE slots, found through a sorted
    directory of page numbers. Probes and inserts of consecutive keys walk memory sequentially,
    and a new run of keys far from the others costs pages for that run only."""

    def __init__(self) -> None:
        self.count = 0
        self.n_pages = 0
        self.page_ids = np.empty(0, np.int64)  # sorted page numbers (key >> PAGE_BITS)
        self.page_rows = np.empty(0, np.int64)  # row of each of them in `pages`
        self.pages = np.full((0, PAGE), EMPTY, np.int32)  # in order of creation, never moved

    def new_pages(self, keys: np.ndarray) -> np.ndarray:
        """Page numbers that inserting `keys` would add."""
        if not len(keys):
            return np.empty(0, np.int64)
        pids = keys >> PAGE_BITS
        lo, hi = int(pids.min()), int(pids.max())
        if hi - lo < 4 * len(pids) + 64:
            present = np.zeros(hi - lo + 1, np.bool_)
            present[pids - lo] = True
            wanted = np.flatnonzero(present) + lo
        else:
            wanted = np.unique(pids)
        return wanted[~np.isin(wanted, self.page_ids, assume_unique=True)] if self.n_pages else wanted

    def fits(self, keys: np.ndarray) -> bool:
        """Whether adding `keys` keeps the pages at least a quarter full on average."""
        pages = self.n_pages + len(self.new_pages(keys))
        return pages <= 16 or pages * PAGE <= 4 * (self.count + len(keys))

    def _add_pages(self, pids: np.ndarray) -> None:
        if not len(pids):
            return
        n = self.n_pages + len(pids)
        if n > len(self.pages):  # room for more pages, so that appends rarely reallocate
            grown = np.full((max(n, 2 * len(self.pages), 4), PAGE), EMPTY, np.int32)
            grown[: self.n_pages] = self.pages[: self.n_pages]
            self.pages = grown
        ids = np.concatenate([self.page_ids, pids])
        rows = np.concatenate([self.page_rows, np.arange(self.n_pages, n, dtype=np.int64)])
        order = np.argsort(ids, kind="stable")
        self.page_ids, self.page_rows, self.n_pages = ids[order], rows[order], n

    def try_insert_range(self, parts: np.ndarray, first_row: int) -> int:
        """Insert keys for rows first_row, first_row + 1, ...; returns -1, or (changing nothing
        but possibly adding empty pages) the position of the first key already present."""
        keys = np.ascontiguousarray(parts[0])
        if not len(keys):
            return -1
        self._add_pages(self.new_pages(keys))
        dup = _paged_insert(self.pages, self.page_ids, self.page_rows, self.n_pages, keys, first_row)
        if dup < 0:
            self.count += len(keys)
        return dup

    def probe(self, parts: np.ndarray) -> np.ndarray:
        return _paged_probe(self.pages, self.page_ids, self.page_rows, self.n_pages, np.ascontiguousarray(parts[0]))

    def items(self) -> tuple[np.ndarray, np.ndarray]:
        """(keys, rows) of every entry."""
        pid_of_row = np.empty(self.n_pages, np.int64)
        pid_of_row[self.page_rows] = self.page_ids
        used = self.pages[: self.n_pages] != EMPTY
        page, slot = np.nonzero(used)
        return (pid_of_row[page] << PAGE_BITS) + slot, self.pages[: self.n_pages][used]

    def nbytes(self) -> int:
        return self.pages.nbytes + self.page_ids.nbytes + self.page_rows.nbytes


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
        """Like PagedIndex.try_insert_range."""
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
        self.impl: PagedIndex | HashIndex = PagedIndex() if n_parts == 1 else HashIndex(n_parts)

    @property
    def count(self) -> int:
        return self.impl.count

    def try_insert_range(self, parts: np.ndarray, first_row: int) -> int:
        """Insert the keys of rows first_row... (consecutive, as appends are); -1 when done, else
        the position of the first key already present in the index or earlier in `parts` (and
        nothing was inserted)."""
        if isinstance(self.impl, PagedIndex) and not self.impl.fits(parts[0]):
            self._to_hash()
        return self.impl.try_insert_range(parts, first_row)

    def _to_hash(self) -> None:
        paged = self.impl
        assert isinstance(paged, PagedIndex)
        keys, rows = paged.items()
        hashed = HashIndex(1)
        hashed._reserve(len(keys))
        _hash_insert(hashed.slot_rows, hashed.slot_keys, keys.reshape(1, -1).astype(np.int64), rows)
        hashed.count = len(keys)
        self.impl = hashed

    def probe(self, parts: np.ndarray) -> np.ndarray:
        """Row id of each key (int32), EMPTY where absent."""
        if parts.shape[1] == 0:
            return np.empty(0, np.int32)
        return self.impl.probe(parts)

    def nbytes(self) -> int:
        return self.impl.nbytes()
