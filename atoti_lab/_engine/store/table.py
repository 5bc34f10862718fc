"""TableStore: the rows of one table, as segments of column arrays, with its key index.

Rows live in *segments*: a big load becomes one segment of exactly its size; small appends go to a
tail segment that grows by doubling up to TAIL_ROWS and is then sealed. Appending therefore never
copies the rows already stored, and every column of a segment is one contiguous numpy array that
kernels scan at memory speed.

Writes happen under the store's write lock (see database.py). Structural changes (appends, drops,
code widening) replace arrays or lengths; upserts of existing keys overwrite rows in place and
record the old values, so that a transaction can be rolled back.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from .. import types as T
from .columns import ColumnSpec, Encoded, check_default, decode, encode, key_part
from .dictionary import SMALL_LIMIT, Dictionary, code_dtype_for
from .key_index import KeyIndex, last_occurrence

TAIL_ROWS = 1 << 20
FIRST_TAIL_ROWS = 1 << 12


_segment_ids = itertools.count()


class Segment:
    __slots__ = ("arrays", "capacity", "epoch", "length", "uid", "valid")

    def __init__(self, length: int, capacity: int, arrays: dict[str, np.ndarray], valid: dict[str, np.ndarray]) -> None:
        self.uid = next(_segment_ids)  # identity for caches of values derived from the rows
        self.epoch = 0  # bumped when rows are overwritten in place
        self.length = length
        self.capacity = capacity
        self.arrays = arrays  # column -> array of `capacity` entries, the first `length` in use
        self.valid = valid  # column -> validity of an integer column holding missing values

    def write(self, at: slice | np.ndarray, columns: dict[str, Encoded], rows: np.ndarray) -> None:
        """Store rows `rows` of an encoded batch at positions `at` of this segment."""
        for name, enc in columns.items():
            self.arrays[name][at] = enc.values[rows]
            if enc.valid is not None or name in self.valid:
                if name not in self.valid:
                    # First missing value of this column here: every earlier row was present.
                    self.valid = {**self.valid, name: np.ones(self.capacity, np.bool_)}
                self.valid[name][at] = enc.valid[rows] if enc.valid is not None else True

    def state(self) -> tuple:
        return (self, self.length, self.capacity, dict(self.arrays), dict(self.valid), self.epoch)


@dataclass(frozen=True)
class TableSnapshot:
    """A consistent read view of a table: per column, one array per segment (no copies)."""

    version: int
    segment_ids: tuple[tuple[int, int], ...]  # (uid, epoch) of each segment
    lengths: tuple[int, ...]
    columns: Mapping[str, tuple[np.ndarray, ...]]
    valid: Mapping[str, tuple[np.ndarray | None, ...]]

    @property
    def row_count(self) -> int:
        return sum(self.lengths)


@dataclass(frozen=True)
class RowBlock:
    """Some rows in stored form (codes for dictionary columns), as a commit added or removed them.

    The arrays never change afterwards: they are copies, or views of rows that are never written
    again (appends to a table without keys)."""

    length: int
    columns: Mapping[str, np.ndarray]
    valid: Mapping[str, np.ndarray | None]


@dataclass
class TableChange:
    """The rows a transaction added to one table and those it removed (dropped, or the old
    values of upserted rows), so that live queries add and retract just their contribution.
    `reset`: the change is not described; readers must start over from the table."""

    added: list[RowBlock] = field(default_factory=list)
    removed: list[RowBlock] = field(default_factory=list)
    reset: bool = False

    def sizes(self) -> tuple[int, int]:
        return len(self.added), len(self.removed)

    def truncate(self, sizes: tuple[int, int]) -> None:
        del self.added[sizes[0]:]
        del self.removed[sizes[1]:]

    def __bool__(self) -> bool:
        return self.reset or bool(self.added) or bool(self.removed)


def block_snapshot(blocks: Sequence[RowBlock], columns: Sequence[str], version: int = -1) -> TableSnapshot:
    """Blocks of rows as a snapshot (one segment per block) that the query scan reads.

    Segment ids are negative: caches keyed by segment identity (encoded.py) must not keep them."""
    blocks = [b for b in blocks if b.length]
    return TableSnapshot(
        version=version,
        segment_ids=tuple((-1, 0) for _ in blocks),
        lengths=tuple(b.length for b in blocks),
        columns={c: tuple(b.columns[c] for b in blocks) for c in columns},
        valid={c: tuple(b.valid.get(c) for b in blocks) for c in columns},
    )


@dataclass
class PreparedBatch:
    """A batch encoded into stored form, ready to be applied under the write lock."""

    n: int
    columns: dict[str, Encoded]
    key_parts: np.ndarray | None  # (n_keys, n) int64


@dataclass
class Undo:
    """What a transaction needs to put one table back as it was."""

    segments: list[Segment]
    segment_states: list[tuple]
    dictionary_sizes: dict[str, int]
    code_dtypes: dict[str, np.dtype]
    tail: Segment | None
    overwrites: list[Callable[[], None]] = field(default_factory=list)


class TableStore:
    def __init__(self, name: str, columns: Sequence[ColumnSpec], keys: Sequence[str]) -> None:
        self.name = name
        self.columns: dict[str, ColumnSpec] = {c.name: c for c in columns}
        self.keys = tuple(keys)
        for spec in columns:
            check_default(spec)
        self.dictionaries: dict[str, Dictionary] = {
            c.name: Dictionary(c.data_type) for c in columns if c.kind == "dict"
        }
        self.code_dtypes: dict[str, np.dtype] = {name: code_dtype_for(0) for name in self.dictionaries}
        self.segments: list[Segment] = []
        self.index: KeyIndex | None = KeyIndex(len(self.keys)) if self.keys else None
        self._tail: Segment | None = None  # the growable last segment, if any
        self.derived: dict = {}  # caches of values derived from the rows (see encoded.py)
        self.version = 0

    # -- reading ------------------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return sum(s.length for s in self.segments)

    def snapshot(self) -> TableSnapshot:
        segs = [s for s in self.segments if s.length]
        return TableSnapshot(
            version=self.version,
            segment_ids=tuple((s.uid, s.epoch) for s in segs),
            lengths=tuple(s.length for s in segs),
            columns={c: tuple(s.arrays[c][: s.length] for s in segs) for c in self.columns},
            valid={
                c: tuple(s.valid[c][: s.length] if c in s.valid else None for s in segs) for c in self.columns
            },
        )

    def column_values(self, name: str, snapshot: TableSnapshot | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """All stored values of a column (concatenated) and its validity."""
        snap = snapshot or self.snapshot()
        parts = snap.columns[name]
        if not parts:
            values = np.empty(0, self._stored_dtype(name))
        else:
            values = np.concatenate(parts) if len(parts) != 1 else parts[0]
        valids = snap.valid[name]
        valid = None
        if any(v is not None for v in valids):
            valid = np.concatenate(
                [v if v is not None else np.ones(n, np.bool_) for v, n in zip(valids, snap.lengths)]
            )
        return values, valid

    def to_arrow(self, rows: np.ndarray | None = None, columns: Sequence[str] | None = None,
                 snapshot: TableSnapshot | None = None) -> pa.Table:
        """Rows (global row ids; all when None) as an Arrow table with the columns' types."""
        snap = snapshot or self.snapshot()
        names = list(columns) if columns is not None else list(self.columns)
        arrays = []
        for name in names:
            values, valid = self.column_values(name, snap)
            if rows is not None:
                values = values[rows]
                valid = None if valid is None else valid[rows]
            arrays.append(decode(self.columns[name], values, valid, self.dictionaries.get(name)))
        return pa.table(arrays, names=names) if names else pa.table({})

    def _stored_dtype(self, name: str) -> np.dtype:
        spec = self.columns[name]
        if spec.kind == "dict":
            return self.code_dtypes[name]
        if spec.kind == "num":
            return T.NUMPY_DTYPES[spec.data_type]
        return np.dtype(object)

    # -- writing ------------------------------------------------------------------------------
    def prepare(self, batch: pa.Table) -> PreparedBatch:
        """Encode a conformed batch (dictionaries may grow; no row changes yet)."""
        n = batch.num_rows
        present = set(batch.column_names)
        encoded = {
            name: encode(spec, batch.column(name) if name in present else None, n, self.dictionaries.get(name))
            for name, spec in self.columns.items()
        }
        parts = None
        if len(self.keys) == 1:
            parts = key_part(self.columns[self.keys[0]], encoded[self.keys[0]].values).reshape(1, -1)
        elif self.keys:
            parts = np.empty((len(self.keys), n), np.int64)
            for i, k in enumerate(self.keys):
                parts[i] = key_part(self.columns[k], encoded[k].values)
        return PreparedBatch(n, encoded, parts)

    def begin_undo(self) -> Undo:
        return Undo(
            segments=list(self.segments),
            segment_states=[s.state() for s in self.segments],
            dictionary_sizes={k: len(d) for k, d in self.dictionaries.items()},
            code_dtypes=dict(self.code_dtypes),
            tail=self._tail,
        )

    def rollback(self, undo: Undo) -> None:
        for restore in reversed(undo.overwrites):
            restore()
        for seg, length, capacity, arrays, valid, epoch in undo.segment_states:
            seg.length, seg.capacity, seg.arrays, seg.valid = length, capacity, arrays, valid
            seg.epoch = epoch + 1  # the rows were put back: derived caches are stale
        self.segments = undo.segments
        self._tail = undo.tail
        self.code_dtypes = undo.code_dtypes
        for name, size in undo.dictionary_sizes.items():
            self.dictionaries[name].truncate(size)
        self.rebuild_index()

    def apply(self, batch: PreparedBatch, undo: Undo, log: TableChange | None = None) -> int:
        """Write a prepared batch: upsert on keyed tables, append otherwise. Returns rows written.
        With `log`, the rows added and the old values of overwritten rows are recorded there."""
        if batch.n == 0:
            return 0
        self._widen_codes()
        if self.index is None:
            self._append(batch.columns, None, batch.n, log)
            return batch.n
        parts = batch.key_parts
        assert parts is not None
        first = self.row_count
        # Fast path, the common one: every key is new and appears once in the batch.
        if (self.index.count == 0 or (self.index.probe(parts) < 0).all()) and \
                self.index.try_insert_range(parts, first) < 0:
            self._append(batch.columns, None, batch.n, log)
            return batch.n
        keep = last_occurrence(parts)
        positions = np.flatnonzero(keep)
        parts = np.ascontiguousarray(parts[:, positions])
        rows = self.index.probe(parts)
        existing = rows >= 0
        if existing.any():
            self._overwrite(batch.columns, positions[existing], rows[existing].astype(np.int64), undo, log)
        new = ~existing
        n_new = int(new.sum())
        if n_new:
            failed = self.index.try_insert_range(np.ascontiguousarray(parts[:, new]), first)
            assert failed < 0, "keys were de-duplicated and probed"
            self._append(batch.columns, positions[new], n_new, log)
        return len(positions)

    def _widen_codes(self) -> None:
        """Switch a column to int32 codes once its dictionary outgrows uint16."""
        for name, dictionary in self.dictionaries.items():
            if len(dictionary) > SMALL_LIMIT and self.code_dtypes[name] != np.int32:
                self.code_dtypes[name] = np.dtype(np.int32)
                for seg in self.segments:
                    seg.arrays = {**seg.arrays, name: seg.arrays[name].astype(np.int32)}
                    seg.epoch += 1

    def _block(self, columns: dict[str, Encoded], positions: np.ndarray | None, n: int) -> RowBlock:
        """Rows of an encoded batch as a RowBlock. Keyed tables overwrite rows in place, so their
        blocks are copies; other tables never rewrite a stored row, so views are enough."""
        copy = self.index is not None
        arrays, valid = {}, {}
        for name, enc in columns.items():
            if positions is None:
                arrays[name] = enc.values.copy() if copy else enc.values
                valid[name] = None if enc.valid is None else (enc.valid.copy() if copy else enc.valid)
            else:
                arrays[name] = enc.values[positions]
                valid[name] = None if enc.valid is None else enc.valid[positions]
        return RowBlock(n, arrays, valid)

    def _append(self, columns: dict[str, Encoded], positions: np.ndarray | None, n: int,
                log: TableChange | None = None) -> None:
        """Add rows (those at `positions` of the batch, or all) at the end, so their row ids
        follow the current last one."""
        take_all = positions is None
        if log is not None:
            log.added.append(self._block(columns, positions, n))
        if n >= TAIL_ROWS // 2:
            # A big batch becomes its own segment, exactly sized; the current tail is sealed.
            arrays, valid = {}, {}
            for name, enc in columns.items():
                vals = enc.values if take_all else enc.values[positions]
                arrays[name] = vals.astype(self._stored_dtype(name), copy=False)
                if enc.valid is not None:
                    valid[name] = enc.valid if take_all else enc.valid[positions]
            self.segments = [*self.segments, Segment(n, n, arrays, valid)]
            self._tail = None
            return
        if positions is None:
            positions = np.arange(n)
        start = 0
        while start < n:
            tail = self._tail
            if tail is None or tail.length == tail.capacity >= TAIL_ROWS:
                tail = self._new_tail(n - start)
            if tail.capacity - tail.length < n - start and tail.capacity < TAIL_ROWS:
                self._grow(tail, min(TAIL_ROWS, max(tail.capacity * 2, tail.length + n - start)))
            k = min(tail.capacity - tail.length, n - start)
            tail.write(slice(tail.length, tail.length + k), columns, positions[start : start + k])
            tail.length += k
            start += k

    def _new_tail(self, rows: int) -> Segment:
        cap = max(FIRST_TAIL_ROWS, min(TAIL_ROWS, 1 << max(rows - 1, 1).bit_length()))
        arrays = {name: np.empty(cap, self._stored_dtype(name)) for name in self.columns}
        seg = Segment(0, cap, arrays, {})
        self.segments = [*self.segments, seg]
        self._tail = seg
        return seg

    def _grow(self, seg: Segment, capacity: int) -> None:
        arrays = {}
        for name, arr in seg.arrays.items():
            new = np.empty(capacity, arr.dtype)
            new[: seg.length] = arr[: seg.length]
            arrays[name] = new
        valid = {}
        for name, arr in seg.valid.items():
            new = np.ones(capacity, np.bool_)
            new[: seg.length] = arr[: seg.length]
            valid[name] = new
        seg.arrays, seg.valid, seg.capacity = arrays, valid, capacity

    def _locate(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        starts = np.cumsum([0] + [s.length for s in self.segments])
        seg_ids = np.searchsorted(starts, rows, side="right") - 1
        return seg_ids, rows - starts[seg_ids]

    def _overwrite(self, columns: dict[str, Encoded], positions: np.ndarray, rows: np.ndarray, undo: Undo,
                   log: TableChange | None = None) -> None:
        seg_ids, offsets = self._locate(rows)
        for sid in np.unique(seg_ids):
            seg = self.segments[int(sid)]
            sel = seg_ids == sid
            offs, pos = offsets[sel], positions[sel]
            old = {name: seg.arrays[name][offs].copy() for name in self.columns}
            old_valid = {name: seg.valid[name][offs].copy() for name in seg.valid}
            arrays, valid = seg.arrays, seg.valid

            def restore(arrays=arrays, valid=valid, offs=offs, old=old, old_valid=old_valid) -> None:
                for name, vals in old.items():
                    arrays[name][offs] = vals
                for name, vals in old_valid.items():
                    valid[name][offs] = vals

            undo.overwrites.append(restore)
            if log is not None:
                log.removed.append(RowBlock(len(offs), old, {name: old_valid.get(name) for name in old}))
                log.added.append(self._block(columns, pos, len(pos)))
            seg.epoch += 1
            seg.write(offs, columns, pos)

    def drop_rows(self, masks: Sequence[np.ndarray], log: TableChange | None = None) -> int:
        """Remove the rows flagged in `masks` (one boolean array per segment). Returns rows removed.
        With `log`, the removed rows are recorded there."""
        removed = 0
        kept: list[Segment] = []
        for seg, mask in zip(self.segments, masks):
            n_drop = int(mask.sum())
            if not n_drop:
                kept.append(seg)
                continue
            removed += n_drop
            if log is not None:
                log.removed.append(RowBlock(
                    n_drop, {name: arr[: seg.length][mask] for name, arr in seg.arrays.items()},
                    {name: seg.valid[name][: seg.length][mask] if name in seg.valid else None for name in seg.arrays},
                ))
            keep = ~mask
            n = seg.length - n_drop
            if n:
                arrays = {name: arr[: seg.length][keep] for name, arr in seg.arrays.items()}
                valid = {name: arr[: seg.length][keep] for name, arr in seg.valid.items()}
                kept.append(Segment(n, n, arrays, valid))
        if removed:
            self.segments = kept
            self._tail = None
            self.rebuild_index()
        return removed

    def rebuild_index(self) -> None:
        if not self.keys:
            return
        index = KeyIndex(len(self.keys))
        n = self.row_count
        if n:
            snap = self.snapshot()
            parts = np.empty((len(self.keys), n), np.int64)
            for i, k in enumerate(self.keys):
                parts[i] = key_part(self.columns[k], self.column_values(k, snap)[0])
            failed = index.try_insert_range(parts, 0)
            assert failed < 0, "stored keys are unique"
        self.index = index

    def lookup(self, key_values: Sequence[Sequence[Any]]) -> np.ndarray:
        """Row ids of keys given as Python values (one sequence per key column); -1 if absent."""
        parts = np.empty((len(self.keys), len(key_values[0]) if key_values else 0), np.int64)
        for i, (k, values) in enumerate(zip(self.keys, key_values)):
            spec = self.columns[k]
            if spec.kind == "dict":
                d = self.dictionaries[k]
                parts[i] = [d.lookup_value(v) for v in values]
            else:
                parts[i] = key_part(spec, np.asarray(values, dtype=T.NUMPY_DTYPES[spec.data_type]))
        assert self.index is not None
        return self.index.probe(parts).astype(np.int64)

    def nbytes(self) -> int:
        """Bytes held by rows and index (dictionaries excluded)."""
        total = sum(a.nbytes for s in self.segments for a in s.arrays.values())
        total += sum(a.nbytes for s in self.segments for a in s.valid.values())
        return total + (self.index.nbytes() if self.index is not None else 0)
