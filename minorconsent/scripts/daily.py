"""minorconsent-daily: do what time alone makes due, once a day.

    minorconsent-daily CONFIG                   as of now
    minorconsent-daily CONFIG --date 2027-03-01 as of that day (noon, clinic clock)

The rooms register what is due (``site.daily``): reminders, renewals,
expiries, the hand-over at majority, the staff's daily digest, sealing
the audit entries still waiting and mailing the chain's head to the
privacy officer.  Each is done once per day of the clinic's clock,
however often this runs and on however many hosts at once; the systemd
timer (docs/minorconsent-daily.timer) runs it hourly, so a day's
reminders wait out the quiet hours and a host that was down catches up.
``--date`` catches up a day that was missed (run the days in order).

One line per task: its name, done / done before / postponed / failed,
and its counts.  Exit status 1 when a task failed (it runs again next
time), else 0.
"""
import argparse
import sys
from datetime import date, datetime, timezone

from pyramid.paster import bootstrap, setup_logging

from minorconsent.site.daily import as_of, run_daily

from .common import close_databases


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='minorconsent-daily',
        description='Send reminders and renewals, expire agreements and do the rest of '
                    'what a day makes due, once per day.')
    parser.add_argument('config_uri', help='e.g. production.ini')
    parser.add_argument('--date', type=date.fromisoformat, default=None,
                        help='run as of this day, YYYY-MM-DD (noon on the clinic clock)')
    parser.add_argument('--task', action='append', default=None,
                        help='only this task (repeatable)')
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    setup_logging(args.config_uri)
    failed = False
    registry = None
    try:
        with bootstrap(args.config_uri) as env:
            request, registry = env['request'], env['registry']
            now = datetime.now(timezone.utc)
            if args.date is not None:
                request.tm.begin()
                now = as_of(args.date, request.clinic.settings)
                request.tm.abort()
            for outcome in run_daily(request, now, only=args.task):
                counts = ', '.join('%s %s' % (v, k) for k, v in sorted(outcome.report.items()))
                print('%s: %s%s' % (outcome.name, outcome.status,
                                    ' (%s)' % counts if counts else ''))
                failed = failed or outcome.status in ('failed', 'needs evolve')
    finally:
        if registry is not None:
            recorder = getattr(registry, 'audit_recorder', None)
            if recorder is not None:
                recorder.flush()
            close_databases(registry)
    return 1 if failed else 0


if __name__ == '__main__':  # pragma: no cover
    sys.exit(main())
