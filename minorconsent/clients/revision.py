"""Optimistic version checks for the staff edit forms of shared records.

Two staff members (or two tabs) may open the same goal, summary draft,
client record or guardian link and both press *Save*.  Without a check the
second save silently overwrites the first.  So every edit form carries, as
a hidden field, the *revision* of the record it was built from, and the
edit rule refuses (``StaleEdit``) a submission whose revision is not the
record's current one.  The view answers 409 with the current version and
the author's own text, so nothing is lost either way.

Why an explicit ``revision`` counter and not ZODB's ``_p_serial``:

* ``_p_serial`` is the id of the last transaction that stored the object.
  It does survive a pack, but it changes for *any* write to the object,
  not only for an edit of what the form shows: the first progress entry on
  a goal (``progress_of`` sets ``goal.progress``), a workflow step or a
  teen's review comment on a summary, a guardianship-log entry on a client
  (``record_guardianship`` creates the log lazily) or an evolve step would
  all turn every open edit form stale and show a "someone else changed
  this" page about a change of nothing on it.
* ``_p_serial`` is a storage detail: it is not set on an object that was
  never committed, a copy or export/import gives new serials, and moving
  to another storage (RelStorage) would turn every open form stale.
* A counter says *how many* edits landed, which the record can show and
  tests can count (20 interleaved edits give revision 20), and it is
  incremented by the edit rule only when a value really changed.

The counter does not replace ZODB's own conflict detection: two requests
that both read revision N and both write N + 1 modify the same object, so
the second commit raises ``ConflictError``; pyramid_retry re-runs that
request from scratch, it now reads revision N + 1, still carries N in its
form, and gets the 409 page instead of overwriting (tested in
``tests/reliability_edits``).  No ``_p_resolveConflict`` is written for
these records on purpose: a merge of two edits of the same revision is
exactly the lost update this check exists to prevent.
"""
import colander
import deform


class StaleEdit(Exception):
    """The edit was built from an older version of the record (or the record
    can no longer be edited); nothing was changed."""

    def __init__(self, message, current_revision):
        super().__init__(message)
        self.message = message
        self.current_revision = current_revision


def revision_of(obj):
    """The record's current revision: 0 for a record never edited (and for
    records stored before revisions existed, through the class default)."""
    return getattr(obj, 'revision', 0) or 0


def parse_revision(submitted):
    """The submitted revision as an int, or None when it is missing or not
    a non-negative number (a form from before revisions, or tampering)."""
    text = str(submitted if submitted is not None else '').strip()
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        return None
    return int(text)


def check_revision(obj, submitted, message, unchanged=False):
    """Raise ``StaleEdit(message)`` unless ``submitted`` is ``obj``'s current
    revision.  A missing or garbled revision counts as stale: a form that
    cannot prove which version it was built from must not overwrite one.

    ``unchanged``: the submitted values are already the record's (a
    double-clicked *Save*, or two people typing the same fix).  Accepting
    such a stale form overwrites nothing, so it is not refused.
    """
    current = revision_of(obj)
    if parse_revision(submitted) != current and not unchanged:
        raise StaleEdit(message, current)
    return current


def bump(obj):
    """Count one landed edit of ``obj``; returns the new revision."""
    obj.revision = revision_of(obj) + 1
    return obj.revision


def revision_node():
    """The hidden form field carrying the revision the form was built from.

    A string, parsed by ``parse_revision`` in the rule: a garbled value is a
    stale edit (409 with the current version), not a validation error on a
    field the person cannot see or fix.
    """
    return colander.SchemaNode(colander.String(), name='revision',
                               widget=deform.widget.HiddenWidget(), missing='')


def conflict_message(what):
    """The words at the top of the conflict page, for ``what`` ('goal')."""
    return ('Someone else changed this %s while you were editing. Here is the '
            'current version; your text is below so you can copy it.' % what)
