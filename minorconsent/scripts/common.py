"""Shared plumbing for console scripts: open the clinic in a transaction."""
import contextlib
import logging

from pyramid.paster import bootstrap, setup_logging


@contextlib.contextmanager
def clinic_transaction(config_uri, commit=True):
    """Yield ``(clinic, request)`` inside one transaction.

    Committed on success unless ``commit`` is false; aborted on error.
    """
    setup_logging(config_uri)
    logging.getLogger('txn').setLevel(logging.WARNING)
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
