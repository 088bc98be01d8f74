"""``pyramid.includes`` of bench/writes.py's servers: one line on stderr
per pyramid_retry retry, ``RETRY <exception class> <method> <path>``.

The app does not log its retries; the benchmark counts these lines in the
server's log to report how many progress POSTs met a ConflictError and
were run again (they count as successes when the retry committed).
"""
import logging
import sys

from pyramid_retry import IBeforeRetry

log = logging.getLogger('minorconsent.bench.retry')
log.propagate = False
log.addHandler(logging.StreamHandler(sys.stderr))
log.setLevel(logging.WARNING)


def _log_retry(event):
    log.warning('RETRY %s %s %s', type(event.exception).__name__,
                event.request.method, event.request.path)


def includeme(config):
    config.add_subscriber(_log_retry, IBeforeRetry)
