"""A caseload import from start to end: check every row, then write in batches.

The console script and the admin's upload page both call ``run_import``;
it returns a ``Report`` that speaks only of the file's rows and of counts
(the admin, who may run it, sees no client record).

Why two passes over the file: nothing may be written while a later row
could still turn out to be bad (a file with an invalid row writes nothing,
unless the operator asks for the valid rows only), and holding 50,000 rows
in memory to avoid a second read would cost more than reading the file
again.  Writes are committed every ``BATCH`` rows through ``commit``
(the console script's); a run cut short is finished by running the same
file again, which finds what the first run wrote and skips it.
"""
from collections import Counter
from dataclasses import dataclass, field

from minorconsent.agreements.kinds import kinds_of
from minorconsent.audit.recorder import note

from .applying import (EXISTING, KEPT_AUTHORITY, KEPT_CONTACT, KEPT_LINK_ENDED, KEPT_OWN_ENDED,
                       KEPT_RESTRICTED, ImportRun)
from .checking import RowChecker
from .columns import parse_row
from .invite import invite_all
from .reading import FileProblem, file_sha256, read_rows
from .batches import Batch
from .uploads import private_copy, remove

#: Rows per committed batch.  Larger batches rewrite the clinic's shared
#: index buckets less often (50,000 rows: 64 s at 2,000, 93 s at 500, on
#: the bench machine) for about 50 MB more memory at the peak.
BATCH = 2000
#: Problems kept for the report (all are counted).
MAX_PROBLEMS = 1000
#: How the counts are ordered in a report.
COUNT_ORDER = ('clients added', 'clients updated', 'clients unchanged',
               'guardian links added', 'guardian links updated', 'guardian links unchanged',
               'client contact permissions updated', 'client sign-ins given',
               'staff accounts made', 'guardian accounts made', 'set-up links mailed',
               'agreements sent', 'agreements not sent', KEPT_RESTRICTED, KEPT_LINK_ENDED,
               KEPT_OWN_ENDED, KEPT_AUTHORITY, KEPT_CONTACT, EXISTING)
#: The counts the admin's page shows, with the page's words: they speak
#: of the file alone.  Unchanged/updated splits, what the app kept and
#: "nothing changed" would each tell the admin about stored records
#: (issue 18 review, finding 2).
PAGE_COUNTS = (('clients added', 'new clients'),
               ('guardian links added', 'new guardian links for new clients'),
               (EXISTING, EXISTING))
#: What a count's line adds after the number.
HINTS = {EXISTING: ' (change them on the client page, or have the operator run '
                   'minorconsent-import)'}
#: The counts that mean the clinic was (or, in a dry run, would be) changed.
WRITES = ('clients added', 'clients updated', 'guardian links added', 'guardian links updated',
          'client contact permissions updated', 'client sign-ins given', 'staff accounts made',
          'guardian accounts made', 'set-up links mailed', 'agreements sent')


@dataclass(frozen=True)
class Options:
    dry_run: bool = False
    valid_rows_only: bool = False
    create_accounts: bool = False
    invite: tuple = ()


@dataclass
class Report:
    sha256: str = ''
    options: Options = Options()
    rows: int = 0
    problems: list = field(default_factory=list)     # (row, column, reason), the first ones
    problem_count: int = 0
    bad_rows: set = field(default_factory=set)
    file_error: str = ''
    counts: Counter = field(default_factory=Counter)
    written: bool = False
    page: bool = False      # run on the admin's page: the page's report

    def add_problem(self, row, column, reason):
        self.problem_count += 1
        self.bad_rows.add(row)
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append((row, column, reason))

    @property
    def blocked(self):
        """Nothing may be written: the file is unreadable, or has bad rows
        and the operator did not ask for the valid rows only."""
        return bool(self.file_error) or (bool(self.bad_rows) and not self.options.valid_rows_only)

    @property
    def changed(self):
        return any(self.counts[key] for key in WRITES)

    def count_lines(self):
        if self.page:
            return ['%s: %d%s' % (label, self.counts[key], HINTS.get(key, ''))
                    for key, label in PAGE_COUNTS if self.counts[key]]
        keys = [k for k in COUNT_ORDER if self.counts[k]] + sorted(
            k for k in self.counts if k not in COUNT_ORDER and self.counts[k])
        return ['%s: %d%s' % (key, self.counts[key], HINTS.get(key, '')) for key in keys]

    def problem_lines(self):
        lines = ['row %d, %s: %s' % problem for problem in sorted(self.problems)]
        if self.problem_count > len(self.problems):
            lines.append('... and %d more problems' % (self.problem_count - len(self.problems)))
        return lines

    def verdict(self):
        """One sentence: what happened to the clinic."""
        if self.file_error:
            return 'Nothing was written: the file cannot be read.'
        if self.blocked:
            return ('Nothing was written: %d row%s ha%s problems. Fix them, or import the '
                    'valid rows only.' % (len(self.bad_rows), 's' if len(self.bad_rows) > 1
                                          else '', 've' if len(self.bad_rows) > 1 else 's'))
        if self.page:
            return ('Check: nothing was written. Importing this file would give the counts '
                    'below.' if self.options.dry_run else 'Imported.')
        if self.options.dry_run:
            return ('Dry run: nothing was written. Importing this file would give the '
                    'counts below.' if self.changed else
                    'Dry run: nothing was written. Importing this file would change nothing.')
        if not self.changed:
            return 'Nothing changed: the clinic already holds everything this file says.'
        return 'Imported.'

    def lines(self):
        """The whole report as plain text lines (the console prints them;
        the page renders them escaped)."""
        out = ['File SHA-256: %s' % self.sha256, 'Rows read: %d' % self.rows]
        if self.file_error:
            out.append(self.file_error)
        out.extend(self.problem_lines())
        out.append(self.verdict())
        if self.bad_rows and not self.blocked:
            out.append('Left out (rows with problems): %s' % ', '.join(
                str(n) for n in sorted(self.bad_rows)[:200]) +
                (' ...' if len(self.bad_rows) > 200 else ''))
        if self.page and self.bad_rows:
            out.append('rows with problems: %d' % len(self.bad_rows))
        out.extend(self.count_lines())
        return out

    def audit_detail(self, origin='', counts=True):
        """Ids and counts only: no name, no address, no cell.  ``origin``
        says where the import ran from when the actor is the system (the
        console script's operating-system account)."""
        mode = [origin] if origin else []
        mode += [word for word, on in (('valid rows only', self.options.valid_rows_only),
                                      ('accounts made', self.options.create_accounts))
                if on]
        if self.options.invite:
            mode.append('invitations: %s' % ' '.join(self.options.invite))
        return 'file sha256 %s; rows %d, left out %d; %s%s' % (
            self.sha256, self.rows, len(self.bad_rows),
            (', '.join(self.count_lines()) or 'no change') if counts else 'started',
            '; ' + '; '.join(mode) if mode else '')


def _note_check(clinic, report, actor_id):
    """Every check on the page is on the audit trail (``caseload.check``:
    the file's SHA-256, its rows and the page's counts; ids only): a run
    of checks probing which client ids the clinic holds is seen."""
    if report.page and report.options.dry_run:
        note(clinic, 'caseload.check', detail=report.audit_detail(), actor=actor_id,
             record='', target='')


def on_page(actor_id):
    """A person ran it (the admin's page), not the operator's console."""
    return actor_id != 'system'


def check_file(clinic, path, options=Options(), today=None, tick=None, page=False):
    """Read and check every row; the report says what is wrong (nothing
    written)."""
    report = Report(options=options)
    try:
        report.sha256 = file_sha256(path)
    except OSError:
        report.file_error = 'The file cannot be opened.'
        return report
    kinds = kinds_of(clinic)
    for text in options.invite:
        if kinds.get(text) is None:
            report.file_error = ('--invite: there is no agreement text "%s" (the texts are '
                                 'listed on the admin\'s Agreement texts page).' % text[:40])
            return report
    checker = RowChecker(clinic, options.create_accounts, today, page=page)
    jar = clinic._p_jar
    try:
        for number, cells in read_rows(path):
            report.rows += 1
            if jar is not None and report.rows % BATCH == 0:
                jar.cacheGC()       # the accounts and clients the check loaded
            for column, reason in checker.check(number, cells)[1]:
                report.add_problem(number, column, reason)
            if tick:
                tick()
    except FileProblem as exc:
        report.file_error = str(exc)
        return report
    for row, column, reason in checker.finish():
        report.add_problem(row, column, reason)
    return report


def run_import(clinic, path, options=Options(), actor_id='system', request=None,
               commit=None, today=None, tick=None, batch=None, origin=''):
    """Check the file, then (unless it is blocked or a dry run asks only
    for the counts) write it; return the ``Report``.

    ``commit()`` is called every ``batch`` rows (``BATCH`` unless given;
    the console script commits
    there; the upload page's one request transaction passes none).  The
    one audit entry is noted with the last batch.

    Both passes read a private copy of ``path`` (``uploads.private_copy``):
    the second pass never reads rows the first did not check."""
    try:
        copy, _sha = private_copy(path)
    except OSError:
        report = Report(options=options, page=on_page(actor_id),
                        file_error='The file cannot be opened.')
        _note_check(clinic, report, actor_id)
        return report
    try:
        return _run(clinic, copy, options, actor_id, request, commit, today, tick, batch,
                    origin)
    finally:
        remove(copy)


def _run(clinic, path, options, actor_id, request, commit, today, tick, batch, origin):
    report = check_file(clinic, path, options, today, tick, page=on_page(actor_id))
    report.page = on_page(actor_id)
    if report.blocked:
        _note_check(clinic, report, actor_id)
        return report
    run = ImportRun(report.sha256, actor_id, dry=options.dry_run,
                    create_accounts=options.create_accounts, request=request,
                    page=on_page(actor_id))
    if run.dry:
        _write(clinic, path, report, run, tick, None, batch)
        report.counts = run.counts
        _note_check(clinic, report, actor_id)
        return report
    # Noted, and committed, before the first batch: a run cut short
    # (a crash, Ctrl-C) has left its mark on the trail with what it wrote.
    note(clinic, 'caseload.import.started', detail=report.audit_detail(origin, counts=False),
         actor=actor_id, record='', target='')
    if commit is not None:
        commit()
    outcome = 'stopped'
    try:
        _write(clinic, path, report, run, tick, commit, batch)
        if options.invite and not report.file_error:
            invite_all(clinic, run, options.invite, commit)
        outcome = 'stopped: the file changed' if report.file_error else 'done'
    except BaseException as exc:
        outcome = 'stopped (%s)' % type(exc).__name__
        raise
    finally:
        report.counts = run.counts
        report.written = True
        _note_end(clinic, report, actor_id, origin, outcome, commit)
    return report


def _write(clinic, path, report, run, tick, commit, batch):
    """The second pass: the checked rows applied in batches (``batches``:
    a row the app refuses now is a row problem, never a half-written row
    or a run stopped halfway)."""
    done, batch = 0, batch or BATCH
    jar = clinic._p_jar
    rows = Batch(clinic, run, report)
    try:
        for number, cells in read_rows(path):
            if number in report.bad_rows:
                continue
            rows.apply(number, parse_row(cells)[0])
            done += 1
            if tick:
                tick()
            if done % batch == 0:
                rows.end()
                if commit is not None and not run.dry:
                    commit()
                elif jar is not None:
                    jar.cacheGC()       # bounded memory where nothing is committed
                rows.begin()
    except FileProblem as exc:       # the file changed between the passes
        report.file_error = str(exc)
    rows.end()


def _note_end(clinic, report, actor_id, origin, outcome, commit):
    """The run's one ``caseload.import`` entry, with its outcome; when the
    run stopped with batches committed, noted in a transaction of its
    own (the stopped one's last batch is lost, its entry must not be)."""
    detail = '%s; outcome: %s' % (report.audit_detail(origin), outcome)
    if outcome.startswith('stopped (') and commit is not None:
        try:
            manager = clinic._p_jar.transaction_manager
            manager.abort()
            if getattr(manager, 'explicit', False):
                manager.begin()
            note(clinic, 'caseload.import', detail=detail, actor=actor_id, record='',
                 target='')
            commit()
        except Exception:       # the store itself failed: the started entry stands
            pass
        return
    note(clinic, 'caseload.import', detail=detail, actor=actor_id, record='', target='')
