"""Shared plumbing for console scripts: open the clinic in a transaction.

Before the app is bootstrapped, the directories its FileStorages need are
made (``site.storage.make_storage_directories``; the app's own start does
the same): a script whose folder cannot be made stops with one line that
names it and its setting (issue 18 item 3).
"""
import contextlib
import logging
import os

from pyramid.paster import bootstrap, get_appsettings, setup_logging

from minorconsent.site.storage import StorageDirectoryError, make_storage_directories

log = logging.getLogger(__name__)

@contextlib.contextmanager
def clinic_transaction(config_uri, commit=True):
    """Yield ``(clinic, request)`` inside one transaction.

    Committed on success unless ``commit`` is false; aborted on error.
    """
    setup_logging(config_uri)
    logging.getLogger('txn').setLevel(logging.WARNING)
    try:
        make_storage_directories(get_appsettings(config_uri))
    except StorageDirectoryError as exc:
        raise SystemExit('%s' % exc) from exc
    registry = None
    try:
        with bootstrap(config_uri) as env:
            registry = env['registry']
            request = env['request']
            request.tm.begin()
            try:
                yield request.clinic, request
                if commit:
                    request.tm.commit()
                else:
                    request.tm.abort()
            except BaseException:
                request.tm.abort()
                raise
    finally:
        # After bootstrap's closer has closed the request's connection.
        if registry is not None:
            _seal_audit(registry)
            close_databases(registry)


def _seal_audit(registry):
    """Put what the script did on the audit chain before it exits."""
    recorder = getattr(registry, 'audit_recorder', None)
    if recorder is not None:
        recorder.flush()


def close_databases(registry):
    """Release the storages (and FileStorage's lock) the app opened, so a
    second script can run in the same process."""
    for db in getattr(registry, '_zodb_databases', {}).values():
        db.close()


def pshell_setup(env):
    """``pshell development.ini`` gets ``clinic`` and ``tm``."""
    request = env['request']
    request.tm.begin()
    env['tm'] = request.tm
    env['clinic'] = request.clinic
