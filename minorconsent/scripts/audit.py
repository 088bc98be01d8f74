"""minorconsent-audit: check (or seal) the audit trail's hash chain.

``verify`` recomputes every entry's hash and its link to the one before and
names the first entry that does not hold (exit status 1).  It only reads.
``seal`` moves entries waiting in the inbox (written by transactions while
no server was running, e.g. by a script) onto the chain.
"""
import argparse
import sys
import time

from pyramid.paster import setup_logging

from minorconsent.audit.chain import Broken, log_of, verify

from . import common
from .common import close_databases


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='minorconsent-audit',
        description='Verify or seal the audit trail of a minorconsent database.')
    parser.add_argument('command', choices=('verify', 'seal'))
    parser.add_argument('config_uri', help='e.g. production.ini')
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    setup_logging(args.config_uri)
    with common.bootstrap(args.config_uri) as env:
        registry = env['registry']
        try:
            if args.command == 'seal':
                count = registry.audit_recorder.flush()
                print('Sealed %d entries.' % count)
                return 0
            return _verify(registry._zodb_databases['audit'])
        finally:
            registry.audit_recorder.buffer.clear()
            close_databases(registry)


def _verify(db):
    conn = db.open()
    try:
        audit_log = log_of(conn.root(), create=False)
        if audit_log is None:
            print('The audit trail is empty.')
            return 0
        started = time.perf_counter()
        try:
            count = verify(audit_log)
        except Broken as broken:
            print('BROKEN: entry %s: %s' % (broken.seq, broken.reason))
            return 1
        print('OK: %d entries verified in %.1f s; head %s' % (
            count, time.perf_counter() - started, audit_log.head_hash))
        waiting = len(audit_log.inbox)
        if waiting:
            print('%d entries are waiting to be sealed (minorconsent-audit seal).' % waiting)
        return 0
    finally:
        conn.close()


if __name__ == '__main__':  # pragma: no cover
    sys.exit(main())
