"""Test-only ``pyramid.includes`` for the scale-out app processes.

The conflict test must show that the two processes really did collide
(a test that never provokes a conflict proves nothing), and the app does
not log pyramid_retry's retries.  This logs one WARNING line per retry,
``RETRY <exception class> <method> <path>``, to the process's log file.
"""
import logging

from pyramid_retry import IBeforeRetry

log = logging.getLogger('minorconsent.scaleout.retry')


def _log_retry(event):
    log.warning('RETRY %s %s %s', type(event.exception).__name__,
                event.request.method, event.request.path)


def includeme(config):
    config.add_subscriber(_log_retry, IBeforeRetry)
