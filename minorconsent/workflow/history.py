"""Append-only workflow history.

Entries live in an ``IOBTree`` keyed by sequence number: appending touches
one bucket, never rewrites the whole history (unlike a tuple), and the class
offers no way to change or remove an entry.

An entry whose ``transition`` is ``migrate`` records a move to a new
version of the workflow (``migrate.run_batch``): it is history, never an
event of the document's life, so dates shown to anyone come from
``steps()``, not from the latest entry.
"""
from dataclasses import dataclass
from datetime import datetime

from BTrees.IOBTree import IOBTree
from BTrees.Length import Length
from persistent import Persistent

#: The ``transition`` of the entry a move to a new version adds (no step
#: may have this id: ``validate`` refuses it).
MIGRATION_STEP = 'migrate'


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

    @property
    def is_migration(self):
        """A move to a new version of the workflow (``migrate``): history,
        not an event of the document's life -- its time is the day an admin
        published a version, not a day anything happened to the document."""
        return self.transition == MIGRATION_STEP


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

    def steps(self):
        """The entries of the document's own life: its start and the steps
        fired on it, without the moves to new versions.  Every date shown
        (published, signed, became active) is read from these."""
        return [e for e in self if not e.is_migration]

    def entered_by_step(self, state):
        """Did the document come into its present stay in ``state`` by a
        step fired on it -- not by being created there, nor by a move to a
        new version?  What a family may read is shown only then (a
        definition that started documents in a family state, or a stored
        move into one, shows the family nothing)."""
        entries = list(self)
        if not entries or entries[-1].to_state != state:
            return False
        for entry in reversed(entries):
            if entry.to_state != state:
                return False
            if entry.from_state != state:      # the way in (a loop or a kept-state move is not)
                return bool(entry.transition) and not entry.is_migration
        return False

    def latest_step(self):
        steps = self.steps()
        return steps[-1] if steps else None
