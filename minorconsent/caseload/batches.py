"""The import's second pass in batches: each row's writes undone whole when
the app refuses the row now, at the cost of one savepoint per batch.

Why not a savepoint per row: a ZODB savepoint writes every object changed
since the last one, so the clinic's shared index buckets (clients, the
address and role indexes) were pickled once per row instead of once per
batch: 4,000 rows took 13.4 CPU seconds instead of 5.1.  A row refused at
write time is rare (the clinic changed between the check and the write,
e.g. on RelStorage beside the servers), so the batch pays only then: back
to the batch's savepoint, then the batch's rows so far again, without the
refused one, which becomes a row problem (``not written: …``).

What a savepoint does not take back is taken back here: the run's tallies,
the audit entries noted since (a plain list of the transaction), and the
set-up links, which are mailed only when a batch is done
(``applying.mail_setup_links``) so no replayed row mails twice.
"""
from minorconsent.audit.recorder import pending_for

from .applying import apply_row, mail_setup_links
from .store import key_of

#: What the app's rules raise for a row they refuse.
REFUSED = (ValueError, LookupError)


class Batch:
    """The rows of the current batch and where to go back to."""

    def __init__(self, clinic, run, report):
        self.clinic, self.run, self.report = clinic, run, report
        jar = clinic._p_jar
        self.jar = jar if jar is not None and not run.dry else None
        self.begin()

    def begin(self):
        """A new batch: after a commit, or every ``batch`` rows."""
        run = self.run
        self.point = self.jar.transaction_manager.get().savepoint() \
            if self.jar is not None else None
        self.audit = len(pending_for(self.jar).entries) if self.jar is not None else 0
        self.counts = run.counts.copy()
        self.mail = len(run.setup_pending)
        self.rows = []          # (number, values, fresh tally keys) applied

    def apply(self, number, values):
        fresh = _fresh(self.run, values)
        counts = self.run.counts.copy() if self.point is None else None
        try:
            apply_row(self.clinic, values, self.run)
        except REFUSED as exc:
            self._refused(number, exc)
            if self.point is None:          # a dry run wrote nothing
                _untally(self.run, counts, [fresh])
            else:
                self._replay()
            return
        self.rows.append((number, values, fresh))

    def end(self):
        """Mail the batch's set-up links (the caller commits after)."""
        mail_setup_links(self.run)

    def _refused(self, number, exc):
        self.report.add_problem(number, 'row', 'not written: %s' % str(exc)[:200])

    def _replay(self):
        """Back to the batch's savepoint, then its good rows again; a row
        refused now is dropped, and the replay starts over without it."""
        rows = self.rows
        while True:
            self.point.rollback()
            _untally(self.run, self.counts, [fresh for _, _, fresh in rows])
            del pending_for(self.jar).entries[self.audit:]
            del self.run.setup_pending[self.mail:]
            self.rows = []
            for index, (number, values, _) in enumerate(rows):
                fresh = _fresh(self.run, values)
                try:
                    apply_row(self.clinic, values, self.run)
                except REFUSED as exc:
                    self._refused(number, exc)
                    rows = rows[:index] + rows[index + 1:]
                    break
                self.rows.append((number, values, fresh))
            else:
                return


def _fresh(run, values):
    """The tally keys this row may add (to take back with it)."""
    cid = key_of(values['client_id'])
    keys = [(run.seen, cid), (run.made, cid),
            (run.links, (cid, values['guardian_email'] or None))]
    if values['client_email']:
        keys.append((run.links, (cid, None)))
    return [(where, key) for where, key in keys if key not in where]


def _untally(run, counts, fresh_lists):
    run.counts.clear()
    run.counts.update(counts)
    for fresh in fresh_lists:
        for where, key in fresh:
            where.discard(key)
