"""Answers kept for repeated queries, bounded in bytes: every byte it holds counts."""

import threading
from collections import OrderedDict

ENTRY_OVERHEAD = 400  # bytes per entry beyond key and body: the Answer, dict slot, tuple


class AnswerCache:
    """Answers by a digest of (query, dataset, formats) and the data version, least
    recently used first out.

    Callers key with a fixed-size hash, never the query text itself. The served data
    changes only through the update log, whose length is part of the key, so a cached
    answer is never stale. ``capacity`` bytes (0 = off), counting each entry's key, body
    and ENTRY_OVERHEAD; one answer may take at most an eighth of it."""

    def __init__(self, capacity: int):
        self.capacity, self.size = capacity, 0
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key):
        if not self.capacity:
            return None
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[0]

    def put(self, key: bytes, value, size: int) -> None:
        size += len(key) + ENTRY_OVERHEAD
        if not self.capacity or size > self.capacity // 8:
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = (value, size)
            self.size += size
            while self.size > self.capacity:
                _, (_, dropped) = self._items.popitem(last=False)
                self.size -= dropped
