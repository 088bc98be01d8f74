"""minorconsent-retention: erase the records of closed cases past retention.

    minorconsent-retention CONFIG --dry-run   list them (opaque ids, dates)
    minorconsent-retention CONFIG             erase them, then pack

The rule is the clinic settings' (``clients.closing``); what is erased and
what stays, in ``clients.retention``.  Each case is erased in a
transaction of its own, so a run that stops half way is run again.  After
the last one the database is packed, so the erased records' bytes leave
Data.fs (and the blob directory); backups are the operator's to expire
(docs/OPERATIONS.md).  Exit code 0; the last line says how many.
"""
import argparse
import os
import shutil
import sys
from datetime import date

from pyramid.paster import bootstrap, setup_logging

from minorconsent.clients.retention import due_for_erasure, erase

from .common import close_databases


def pack_without_copies(db):
    """Pack to now, keeping no copy of what the pack dropped.

    FileStorage keeps the packed-away file as ``Data.fs.old`` and removed
    blobs under ``<blobs>.old`` by default; both would still hold the
    erased records, so they go (an earlier pack's copies too)."""
    storage = db.storage
    # zodburi wraps the FileStorage of a ``blobstorage_dir`` URI in
    # ZODB.blob.BlobStorage, which keeps it in a private attribute (and
    # removes unused blob files itself when it packs).
    inner = getattr(storage, '_BlobStorage__storage', storage)
    if hasattr(inner, 'pack_keep_old'):
        inner.pack_keep_old = False
    db.pack(days=0)
    blob_dir = getattr(inner, 'blob_dir', None) or getattr(
        getattr(storage, 'fshelper', None), 'base_dir', None)
    if blob_dir and os.path.isdir(blob_dir + '.old'):
        shutil.rmtree(blob_dir + '.old')


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='minorconsent-retention',
        description='Erase the records of closed cases whose retention has run out.')
    parser.add_argument('config_uri', help='e.g. production.ini')
    parser.add_argument('--dry-run', action='store_true',
                        help='only list what would be erased')
    parser.add_argument('--today', type=date.fromisoformat, default=None,
                        help=argparse.SUPPRESS)   # tests move the date forward
    parser.add_argument('--no-pack', action='store_true',
                        help='erase without packing the database afterwards')
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    setup_logging(args.config_uri)
    erased = 0
    with bootstrap(args.config_uri) as env:
        request, registry = env['request'], env['registry']
        request.tm.begin()
        due = due_for_erasure(request.clinic, args.today)
        for item in due:
            print('%s: last service %s, kept until %s%s' % (
                item.client_id, item.last_service.isoformat(), item.kept_until.isoformat(),
                '' if args.dry_run else ', erased'))
            if args.dry_run:
                continue
            client = request.clinic['clients'].get(item.client_id)
            if client is not None:
                erase(request.clinic, client)
                request.tm.commit()
                request.tm.begin()
                erased += 1
        request.tm.abort()
        recorder = getattr(registry, 'audit_recorder', None)
        if recorder is not None:
            recorder.flush()
        if erased and not args.no_pack:
            pack_without_copies(registry._zodb_databases[''])
    close_databases(registry)
    if args.dry_run:
        print('%d case(s) past retention; nothing erased (dry run).' % len(due))
    else:
        print('%d case(s) erased%s.' % (erased, '' if args.no_pack or not erased
                                        else '; database packed'))
    return 0


if __name__ == '__main__':  # pragma: no cover
    sys.exit(main())
