"""Correcting a progress entry, and a goal's entries as staff read them.

A therapist who recorded a wrong date or rating corrects it; the original
is never overwritten.  A correction is appended to the goal's progress log
(``ProgressEntry.corrects`` names the entry), so the log stays append-only:
concurrent recordings and corrections merge as before (``progress_of``),
the original and every correction stay readable on the goal's page, and
each correction is on the audit trail.  Summaries already written keep
the values they copied: what a guardian read never changes under them.
"""
from dataclasses import dataclass

from minorconsent.audit.recorder import note
from minorconsent.site.clock import utcnow

from .model import ACHIEVEMENT_TITLES, ProgressEntry, numbered_entries, progress_of


class NotCorrected(ValueError):
    """A correction refused; ``field`` is the form field it belongs to."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class EntryRecord:
    """One progress entry for the goal's staff page."""
    number: int
    current: ProgressEntry        # as corrected
    original: ProgressEntry       # as first recorded
    corrections: tuple            # ProgressEntry corrections, oldest first

    @property
    def corrected(self):
        return bool(self.corrections)


def entry_records(goal):
    """The goal's entries, newest first, each with its history."""
    return [EntryRecord(*found) for found in reversed(numbered_entries(goal))]


def entry_record(goal, number):
    """The entry ``number`` of ``goal``, or None."""
    for found in numbered_entries(goal):
        if found[0] == number:
            return EntryRecord(*found)
    return None


def correct_progress(goal, number, day, rating, parent_note, reason, author_id):
    """Correct entry ``number``: the new day, rating and note apply from now
    on; the entry as it was stays in its history.  Raises ``NotCorrected``
    (nothing written) for an unknown entry or rating, a missing reason, or
    a correction that changes nothing."""
    record = entry_record(goal, number)
    if record is None:
        raise NotCorrected('entry', 'There is no such progress entry on this goal.')
    if rating not in ACHIEVEMENT_TITLES:
        raise NotCorrected('rating', 'Choose how it is going from the list.')
    reason = (reason or '').strip()
    if not reason:
        raise NotCorrected('reason', 'Say why the entry is corrected.')
    current = record.current
    changed = [name for name, old, new in (('day', current.day, day),
                                           ('rating', current.rating, rating),
                                           ('note', current.parent_note, parent_note))
               if old != new]
    if not changed:
        raise NotCorrected('rating', 'This is what the entry already says: nothing to '
                                     'correct.')
    progress_of(goal).put(ProgressEntry(day, rating, parent_note, author_id, utcnow(),
                                        corrects=number, reason=reason))
    # Field names only: the note and the reason may be clinical.
    note(goal, 'progress.correct', actor=author_id,
         detail='entry %d: %s' % (number, ', '.join(changed)))
    return changed
