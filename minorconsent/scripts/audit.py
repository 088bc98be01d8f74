"""minorconsent-audit: check, seal and witness the audit trail's hash chain.

``verify`` recomputes every entry's hash and its link to the one before,
names the first entry that does not hold, and then checks the chain
against every witnessed head (``minorconsent.audit.witness_file``): each
must still be on the chain at its position with its hash, or the first
one that is not is named (a cut, a re-hash after a rewrite, an undo or an
older copy restored).  Exit status 1 for anything broken.  It only reads.

``witness`` signs the current head with the witness key and appends it to
the witness file (run it from cron or a systemd timer; README).
``witness-key`` makes the key pair.  ``seal`` moves entries waiting in the
inbox (written by transactions while no server was running, e.g. by a
script) onto the chain.

A configured witness file must vouch for the chain: one that holds no
head while the chain has entries (emptied), or whose newest head is older
than ``minorconsent.audit.witness_max_age_minutes`` while an entry as old
waits after it (the schedule stopped), is reported as broken too; so is a
chain that is gone while witnesses name its entries.

``verify`` and ``witness`` open the audit database read-only, so they run
beside a live server (a FileStorage is locked by the server otherwise).
"""
import argparse
import contextlib
import os
import sys
import time
from datetime import timedelta

from pyramid.paster import get_appsettings, setup_logging

from minorconsent.audit import witness as witnesses
from minorconsent.audit.chain import GENESIS, Broken, log_of, verify
from minorconsent.audit.recorder import utc_stamp
# ``now`` is the clinic's clock under the name a test replaces.
from minorconsent.site.clock import utcnow as now

from . import common
from .common import close_databases

#: Settings (``[app:main]``); README lists them.
WITNESS_FILE = 'minorconsent.audit.witness_file'
WITNESS_KEY = 'minorconsent.audit.witness_key'
WITNESS_PUBLIC_KEY = 'minorconsent.audit.witness_public_key'
WITNESS_MAX_AGE = 'minorconsent.audit.witness_max_age_minutes'
#: Minutes an entry may wait for a witness (the schedule is every 5).
DEFAULT_MAX_AGE_MINUTES = 60


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='minorconsent-audit',
        description='Verify, seal or witness the audit trail of a minorconsent database.')
    parser.add_argument('command', choices=('verify', 'seal', 'witness', 'witness-key'),
                        help='verify: the chain and every witnessed head; seal: the inbox; '
                             'witness: sign the head and append it to the witness file; '
                             'witness-key: make the witness key pair')
    parser.add_argument('--start', action='store_true',
                        help='witness: begin a new witness file for a chain that has entries '
                             '(the first witness, or after a restore); without it a missing '
                             'or empty witness file is refused, so a deleted one is not '
                             'silently started again')
    parser.add_argument('config_uri', help='e.g. production.ini')
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    setup_logging(args.config_uri)
    if args.command == 'seal':
        return _seal(args.config_uri)
    settings = get_appsettings(args.config_uri, name='main')
    try:
        if args.command == 'witness-key':
            return _make_key(settings)
        db = _open_read_only(settings)
        try:
            if args.command == 'witness':
                return _witness(settings, db, start=args.start)
            return _verify(settings, db)
        finally:
            if db is not None:
                db.close()
    except witnesses.WitnessError as exc:
        print('ERROR: %s' % exc)
        return 2


def _seal(config_uri):
    with common.bootstrap(config_uri) as env:
        registry = env['registry']
        try:
            count = registry.audit_recorder.flush()
            print('Sealed %d entries.' % count)
            return 0
        finally:
            registry.audit_recorder.buffer.clear()
            close_databases(registry)


def _open_read_only(settings):
    """The audit database, read-only (None when there is none yet)."""
    import zodburi
    from ZODB import DB
    uri = settings.get('zodbconn.uri.audit')
    if not uri:
        raise witnesses.WitnessError('zodbconn.uri.audit is not set')
    if uri.startswith('file://'):
        path = uri[len('file://'):].split('?', 1)[0]
        if not os.path.exists(path):
            return None
    if not uri.startswith('zconfig://'):      # (a ZConfig file says read-only itself)
        flag = '1' if uri.startswith('file://') else 'true'
        uri += ('&' if '?' in uri else '?') + 'read_only=' + flag
    factory, dbkw = zodburi.resolve_uri(uri)
    return DB(factory(), **{k: v for k, v in dbkw.items() if k != 'database_name'})


@contextlib.contextmanager
def _audit_log(db):
    """The chain (None when there is no audit database or no chain in it)."""
    if db is None:
        yield None
        return
    conn = db.open()
    try:
        yield log_of(conn.root(), create=False)
    finally:
        conn.close()


def _max_age(settings):
    """The maximum witness age as a timedelta (None: not checked)."""
    text = (settings.get(WITNESS_MAX_AGE) or '').strip() or str(DEFAULT_MAX_AGE_MINUTES)
    try:
        minutes = float(text)
        if not 0 <= minutes < 10 ** 7:
            raise ValueError
    except ValueError:
        raise witnesses.WitnessError('%s must be a number of minutes (0: no age check), '
                                     'not %r' % (WITNESS_MAX_AGE, text)) from None
    return timedelta(minutes=minutes) if minutes else None


def _paths(settings):
    key = settings.get(WITNESS_KEY) or ''
    public = settings.get(WITNESS_PUBLIC_KEY) or (key + '.pub' if key else '')
    return settings.get(WITNESS_FILE) or '', key, public


def _make_key(settings):
    _, key, public = _paths(settings)
    if not key:
        raise witnesses.WitnessError('set %s to where the key is kept (README)' % WITNESS_KEY)
    kid = witnesses.create_key(key, public)
    print('Witness key %s written to %s (keep it off the database volume, readable only '
          'by the user that runs "witness"); public key in %s (give a copy to whoever '
          'runs "verify").' % (kid, key, public))
    return 0


def _public_key(settings):
    _, key, public = _paths(settings)
    if public and os.path.exists(public):
        return witnesses.load_public_key(public)
    if key:
        return witnesses.load_private_key(key).public_key()
    raise witnesses.WitnessError('set %s (or %s) to check the witnesses'
                                 % (WITNESS_PUBLIC_KEY, WITNESS_KEY))


def _read(path, public_key):
    if not os.path.exists(path):
        return []
    return witnesses.read_witnesses(path, public_key)


def _witness(settings, db, start=False):
    """Sign the current head and append it, unless the chain no longer
    follows from the newest witnessed head (then nothing is appended).

    A witness file with no head while the chain has entries is begun only
    with ``start``: otherwise whoever deleted or emptied the file (and then
    cut the chain) would have cron's next run bless what is left."""
    path, key_path, _ = _paths(settings)
    if not path or not key_path:
        raise witnesses.WitnessError('set %s and %s (README)' % (WITNESS_FILE, WITNESS_KEY))
    key = witnesses.load_private_key(key_path)
    with _audit_log(db) as audit_log:
        try:
            earlier = _read(path, key.public_key())
        except witnesses.WitnessError as exc:
            print('BROKEN: %s' % exc)
            return 1
        if earlier:
            reason = witnesses.extends(audit_log, earlier[-1]) if audit_log is not None \
                else 'the chain is gone'
            if reason is not None:
                print('BROKEN: the chain no longer follows from witness line %d '
                      '(entry %d, witnessed %s): %s' % (
                          earlier[-1].number, earlier[-1].seq, earlier[-1].at, reason))
                return 1
        entries = audit_log.head_seq if audit_log is not None else 0
        if not earlier and entries and not start:
            print('BROKEN: the witness file %s holds no witnessed head, but the chain has %d '
                  'entries: nothing appended.  If this is the first witness (or the witness '
                  'file was moved aside after a restore), run "minorconsent-audit witness '
                  '--start" once (README).' % (path, entries))
            return 1
        seq, head = (audit_log.head_seq, audit_log.head_hash) if audit_log is not None \
            else (0, GENESIS)
        line = witnesses.witness_line(key, utc_stamp(), seq, head)
        witnesses.append_line(path, line)
        print(line)
        return 0


def _verify(settings, db):
    path = _paths(settings)[0]
    max_age = _max_age(settings) if path else None
    with _audit_log(db) as audit_log:
        if audit_log is None and not path:
            print('The audit trail is empty.')
            return 0
        started = time.perf_counter()
        count = 0
        if audit_log is not None:
            try:
                count = verify(audit_log)
            except Broken as broken:
                print('BROKEN: entry %s: %s' % (broken.seq, broken.reason))
                return 1
        found = None
        if path:
            found = _verify_witnesses(settings, path, audit_log, max_age)
            if found is None:
                return 1
        if audit_log is None:
            print('The audit trail is empty.')
        else:
            print('OK: %d entries verified in %.1f s; head %s' % (
                count, time.perf_counter() - started, audit_log.head_hash))
        if path:
            print(_witnessed_summary(path, found, audit_log))
        else:
            print('Not witnessed: set %s and run "minorconsent-audit witness" on a schedule '
                  '(README); without it a rewrite of the whole chain goes unnoticed.'
                  % WITNESS_FILE)
        waiting = len(audit_log.inbox) if audit_log is not None else 0
        if waiting:
            print('%d entries are waiting to be sealed (minorconsent-audit seal).' % waiting)
        return 0


def _verify_witnesses(settings, path, audit_log, max_age):
    """The witnesses, all reached and recent enough; None (after printing
    what is broken) otherwise."""
    if not os.path.exists(path):
        print('BROKEN: no witness file at %s.  If the chain has never been witnessed (or the '
              'file was moved aside after a restore), run "minorconsent-audit witness --start" '
              'once; otherwise the file was removed: restore it from its copies (README).' % path)
        return None
    try:
        found = witnesses.read_witnesses(path, _public_key(settings))
    except witnesses.WitnessError as exc:
        print('BROKEN: %s' % exc)
        return None
    entries = audit_log.head_seq if audit_log is not None else 0
    if not found and entries:
        print('BROKEN: the witness file %s holds no witnessed head, but the chain has %d '
              'entries (emptied or replaced; keep it append-only, README)' % (path, entries))
        return None
    missed = witnesses.unreached(audit_log, found)
    if missed is not None:
        witness, reason = missed
        print('BROKEN: witness line %d (entry %d, head %s, witnessed %s) is not on the '
              'chain: %s' % (witness.number, witness.seq, witness.head[:16], witness.at, reason))
        return None
    late = witnesses.overdue(audit_log, found[-1], now(), max_age) \
        if found and max_age is not None else None
    if late is not None:
        print('BROKEN: no witness for more than %g minutes: %s (%s): is "minorconsent-audit '
              'witness" still running on its schedule?' % (
                  max_age.total_seconds() / 60, late, WITNESS_MAX_AGE))
        return None
    return found


def _witnessed_summary(path, found, audit_log):
    if not found:
        return 'Witnessed: no head yet in %s.' % path
    newest = found[-1]
    text = 'Witnessed: %d head%s in %s, all on the chain; the newest, entry %d, at %s.' % (
        len(found), '' if len(found) == 1 else 's', path, newest.seq, newest.at)
    after = (audit_log.head_seq if audit_log is not None else 0) - newest.seq
    if after > 0:
        text += (' 1 entry after the newest witness is not witnessed yet.' if after == 1 else
                 ' %d entries after the newest witness are not witnessed yet.' % after)
    return text


if __name__ == '__main__':  # pragma: no cover
    sys.exit(main())
