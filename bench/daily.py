"""Benchmark: minorconsent-daily on a large clinic (issue 17: under 60 s,
bounded memory, on 50,000 clients).

    .venv/bin/python bench/daily.py [--clients N] [--data DIR] [--days D ...]

Seeds (or reuses, in ``--data``) the same clinic as ``bench/pages.py``
(``minorconsent-seed --clients N --therapists N/250 --progress 10``), copies
it, and runs ``minorconsent-daily COPY.ini --date DAY`` as a separate
process for each day asked, in order, on the same copy: by default the
seeding day, three days later (the first reminders of every agreement
still waiting), the same day again (everything "done before"), and the
day a year on (renewals and expiries of what was signed at seeding).
Per run: wall time, the child's peak resident memory (``ru_maxrss``), and
the script's own lines (what each task did).  bench/RESULTS.md records
the figures with the command.
"""
import argparse
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pages  # noqa: E402  (the seeding and copying of bench/pages.py)

BIN = Path(sys.executable).parent


def run_day(ini, day):
    """``(seconds, peak RSS in MB of this child, its output)``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    result = subprocess.run([str(BIN / 'minorconsent-daily'), str(ini), '--date',
                             day.isoformat()], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if result.returncode:
        print(result.stderr[-3000:], file=sys.stderr)
    # ru_maxrss of the children is the largest any child reached so far.
    return seconds, max(peak, before) / 1024, result.stdout, result.returncode


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--clients', type=int, default=50000)
    parser.add_argument('--therapists', type=int, default=None)
    parser.add_argument('--progress', type=int, default=10)
    parser.add_argument('--data', default='/tmp/benchdata',
                        help='where the seeded clinic is kept between runs')
    parser.add_argument('--days', type=int, nargs='*', default=None, metavar='OFFSET',
                        help='days after the seeding day to run, in order '
                             '(default: 0 3 3 335 365)')
    args = parser.parse_args(argv)
    therapists = args.therapists or max(1, args.clients // 250)
    data = Path(args.data)
    ini = pages.seeded(data, args.clients, therapists, args.progress)
    seeded_on = date.fromtimestamp((data / 'Data.fs').stat().st_mtime)
    stamp = next(data.glob('seeded-%d-*' % args.clients), None)
    if stamp is not None:
        seeded_on = date.fromtimestamp(stamp.stat().st_mtime)
    copy = pages.copy_site(data, data.parent / (data.name + '-daily'))
    print('clinic: %d generated clients (%s), seeded on %s; running on a copy: %s'
          % (args.clients, data, seeded_on, copy), flush=True)
    offsets = args.days if args.days is not None else [0, 3, 3, 335, 365]
    print('%-12s %8s %10s  %s' % ('day', 'seconds', 'peak MB', 'tasks'))
    worst = 0
    for offset in offsets:
        day = seeded_on + timedelta(days=offset)
        seconds, peak, out, code = run_day(copy, day)
        worst = max(worst, seconds)
        tasks = '; '.join(line.strip() for line in out.strip().splitlines())
        print('%-12s %8.1f %10.0f  %s%s' % (day, seconds, peak, tasks,
                                            '' if code == 0 else '  EXIT %d' % code),
              flush=True)
    print('slowest run: %.1f s (target: under 60 s)' % worst)
    return 0


if __name__ == '__main__':
    sys.exit(main())
