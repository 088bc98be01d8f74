"""minorconsent-mail: deliver the clinic's mail queue to its SMTP server.

    minorconsent-mail CONFIG               keep delivering (a service)
    minorconsent-mail CONFIG --once        one pass, then exit (for cron)

Requests never talk to the mail server: they put each message into the
queue at ``mail.queue_path`` in their transaction (``site.mail``).  This
process sends what is queued to ``mail.host``:``mail.port`` (STARTTLS with
``mail.tls``, implicit TLS with ``mail.ssl``, login with ``mail.username``
and ``mail.password``), so a mail server that is down or slow delays mail
and loses none.

A message leaves the queue only after the SMTP server accepted it: exactly
once in the normal case.  Should this process or its machine die between
the server's acceptance and the removal of the file, the next pass sends
that message again -- a rare duplicate with the same Message-ID, never a
loss.  A message that fails stays queued and is retried with a backoff
(one minute, doubling, at most an hour).  One still failing a day after
its first failure is moved to ``failed/`` in the queue's folder and
reported: a log line, and with ``--once`` a line on stderr and exit
status 1 (so cron mails the operator).  Nothing else is printed.

The service stops cleanly on SIGTERM or SIGINT, after the message it is
sending.  Only one pass runs at a time on a queue (a lock), so a cron job
next to the service is harmless.
"""
import argparse
import logging
import signal
import sys
import threading
from datetime import datetime, timezone

from pyramid.paster import get_appsettings, setup_logging

from minorconsent.site.delivery import deliver_queue
from minorconsent.site.mail import queue_path

log = logging.getLogger(__name__)


def report_failed(failed, out):
    """One line per message the pass gave up on: where it went, who it was
    for, since when, and why (the subject is content-free by design)."""
    for each in failed:
        since = datetime.fromtimestamp(each['first_failure'], timezone.utc).isoformat(timespec='seconds')
        out.write('minorconsent-mail: not delivered since %s, moved to %s: to %s, '
                  '%s, %s (%d attempts; last error: %s)\n' % (
                      since, each['file'], each['to'] or '?', each['message_id'] or '?',
                      each['subject'] or '?', each['attempts'], each['last_error']))


def run_pass(settings, now=None, stop=None):
    report = deliver_queue(settings, now=now,
                           should_stop=stop.is_set if stop is not None else lambda: False)
    if report.busy:
        log.info('another sender is delivering %s; skipped', queue_path(settings))
    elif report.sent or report.failed:
        log.info('mail queue: %d sent, %d waiting, %d failed',
                 len(report.sent), report.waiting, len(report.failed))
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='minorconsent-mail',
        description="Deliver the clinic's queued mail to its SMTP server.")
    parser.add_argument('config_uri', help='e.g. production.ini')
    parser.add_argument('--once', action='store_true',
                        help='one pass over the queue, then exit (for cron)')
    parser.add_argument('--interval', type=float, default=30.0,
                        help='seconds between passes of the service (default 30)')
    parser.add_argument('--now', type=float, default=None,
                        help=argparse.SUPPRESS)   # tests move the clock (epoch seconds)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.interval <= 0:
        parser.error('--interval must be more than 0 seconds')
    setup_logging(args.config_uri)
    settings = get_appsettings(args.config_uri)
    if settings.get('minorconsent.mail_debug'):
        sys.stderr.write('minorconsent-mail: minorconsent.mail_debug is set: this '
                         'configuration writes mail to files, there is no queue to send\n')
        return 2
    if args.once:
        report = run_pass(settings, now=args.now)
        report_failed(report.failed, sys.stderr)
        return 1 if report.failed else 0
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    log.info('delivering %s every %g s', queue_path(settings), args.interval)
    while not stop.is_set():
        try:
            run_pass(settings, stop=stop)   # site.mail logs what failed
        except Exception:   # noqa: BLE001 -- the service outlives a bad pass
            log.exception('mail queue pass failed; trying again')
        stop.wait(args.interval)
    return 0


if __name__ == '__main__':
    sys.exit(main())
