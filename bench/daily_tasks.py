"""One day of minorconsent-daily with each task's seconds and the peak
resident memory after it (bench/daily.py --per-task runs this instead of
the script; the same ``site.daily.run_daily``, in this process).

    .venv/bin/python bench/daily_tasks.py CONFIG YYYY-MM-DD

One line per task: name, seconds (the task and its commit), the
process's peak RSS so far in MB, status and counts.
"""
import resource
import sys
import time
from datetime import date

from pyramid.paster import bootstrap

from minorconsent.scripts.common import close_databases
from minorconsent.site import daily


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None):
    ini, day = (argv or sys.argv[1:])[:2]
    env = bootstrap(ini)
    request, registry = env['request'], env['registry']
    request.tm.begin()
    now = daily.as_of(date.fromisoformat(day), request.clinic.settings)
    request.tm.abort()
    print('%-18s %7s  %s' % ('(app and database open)', '', 'peak %4.0f MB' % peak_mb()))
    started = time.perf_counter()
    for outcome, seconds in each_task(request, now):
        counts = ', '.join('%s %s' % (v, k) for k, v in sorted(outcome.report.items()))
        print('%-18s %6.1f s  peak %4.0f MB  %s (%s)' % (outcome.name, seconds, peak_mb(),
                                                       outcome.status, counts))
        sys.stdout.flush()
    print('all tasks: %.1f s' % (time.perf_counter() - started))
    recorder = getattr(registry, 'audit_recorder', None)
    if recorder is not None:
        recorder.flush()
    env['closer']()
    close_databases(registry)
    return 0


def each_task(request, now):
    """``(outcome, seconds)``: ``run_daily`` one task at a time, in their
    order, so each is timed with its commit and printed as it ends."""
    for name, _fn in daily.daily_tasks(request.registry):
        started = time.perf_counter()
        (outcome,) = daily.run_daily(request, now, only=[name])
        yield outcome, time.perf_counter() - started


if __name__ == '__main__':
    sys.exit(main())
