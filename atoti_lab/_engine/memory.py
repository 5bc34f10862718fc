"""Which allocator holds Arrow data that the store keeps or soon frees.

The system allocator: Arrow's default (mimalloc or jemalloc) keeps freed pages for reuse, so the
temporary buffers of a big load would stay resident long after the load; glibc gives them back.
"""

from __future__ import annotations

import pyarrow as pa


def pool() -> pa.MemoryPool:
    return pa.system_memory_pool()
