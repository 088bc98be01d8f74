"""Append-only workflow history.

Entries live in an ``IOBTree`` keyed by sequence number: appending touches
one bucket, never rewrites the whole history (unlike a tuple), and the class
offers no way to change or remove an entry.
"""
from dataclasses import dataclass
from datetime import datetime

from BTrees.IOBTree import IOBTree
from BTrees.Length import Length
from persistent import Persistent


@dataclass(frozen=True)
class HistoryEntry:
    time: datetime
    actor: str               # a user id, or 'system'
    transition: str          # '' for the entry that starts the workflow
    transition_title: str
    from_state: str
    from_title: str
    to_state: str
    to_title: str
    comment: str
    workflow_id: str
    version: int


class History(Persistent):

    def __init__(self):
        self._entries = IOBTree()
        self._length = Length()

    def append(self, entry):
        if not isinstance(entry, HistoryEntry):
            raise TypeError('history holds HistoryEntry objects only')
        self._entries[self._length()] = entry
        self._length.change(1)

    def __len__(self):
        return self._length()

    def __iter__(self):
        return iter(self._entries.values())

    def latest(self):
        n = self._length()
        return self._entries[n - 1] if n else None
