"""Answers kept for repeated queries, bounded in bytes."""

import threading
from collections import OrderedDict


class AnswerCache:
    """Answers by (query, dataset, formats, data version), least recently used first out.

    The served data changes only through the update log, whose length is part of the
    key, so a cached answer is never stale. ``capacity`` bytes of bodies (0 = off); one
    answer may take at most an eighth of it."""

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

    def put(self, key, value, size: int) -> None:
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
