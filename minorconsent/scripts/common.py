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
    with bootstrap(config_uri) as env:
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


def pshell_setup(env):
    """``pshell development.ini`` gets ``clinic`` and ``tm``."""
    request = env['request']
    request.tm.begin()
    env['tm'] = request.tm
    env['clinic'] = request.clinic
