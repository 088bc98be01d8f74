"""Benchmark: minorconsent-daily on a large clinic (issue 17: under 60 s,
bounded memory, on 50,000 clients).

    .venv/bin/python bench/daily.py [--clients N] [--data DIR] [--days D ...]

Seeds (or reuses, in ``--data``) a clinic like ``bench/pages.py``'s with a
year of agreements on the generated clients
(``minorconsent-seed --clients N --therapists N/250 --progress 10
--agreements``: consents in force from days spread over the past year,
renewals already sent, agreements waiting for signatures, declined ones,
confidentiality agreements, clients coming of age; see
``minorconsent/scripts/seed_agreements.py``), copies it, and runs
``minorconsent-daily COPY.ini --date DAY`` as a separate process for each
day asked, in order, on the same copy.  By default: the seeding day (the
first run ever: every reminder and expired invitation the seed left is
due at once), the three days after it (ordinary days), the third again
(everything "done before"), and day 30 (a month's catch-up after 26 days
without a run: the renewals and expiries of 26 days at once).
Per run: wall time, that child's own peak resident memory (``wait4``'s
``ru_maxrss``), and the script's own lines (what each task did); with
``--per-task``, each task's seconds and the peak memory after it
(``bench/daily_tasks.py``, the same ``run_daily`` in one process).
bench/RESULTS.md records the figures with the command.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import pages  # noqa: E402  (the seeding and copying of bench/pages.py)
from benchkit import machine  # noqa: E402

BIN = Path(sys.executable).parent
DEFAULT_DAYS = [0, 1, 2, 3, 3, 30]


def run_day(ini, day, per_task=False):
    """``(seconds, peak RSS in MB of this child, its output, exit code,
    CPU seconds of this child)``: on a machine shared with others the CPU
    time says what the run cost when the wall time says how long it waited.
    ``per_task``: bench/daily_tasks.py instead of the script (each task's
    seconds and the peak memory after it)."""
    command = ([sys.executable, str(HERE / 'daily_tasks.py'), str(ini), day.isoformat()]
               if per_task else
               [str(BIN / 'minorconsent-daily'), str(ini), '--date', day.isoformat()])
    with tempfile.TemporaryFile('w+') as out, tempfile.TemporaryFile('w+') as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=err)
        # wait4: this child's own rusage (RUSAGE_CHILDREN would be the
        # largest of every child so far, the seed's among them).
        _pid, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        output, errors = out.read(), err.read()
    if code:
        print(errors[-3000:], file=sys.stderr)
    return seconds, usage.ru_maxrss / 1024, output, code, usage.ru_utime + usage.ru_stime


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--clients', type=int, default=50000)
    parser.add_argument('--therapists', type=int, default=None)
    parser.add_argument('--progress', type=int, default=10)
    parser.add_argument('--data', default=None,
                        help='where the seeded clinic is kept between runs '
                             '(default /tmp/benchdata-agreements-N)')
    parser.add_argument('--days', type=int, nargs='*', default=None, metavar='OFFSET',
                        help='days after the seeding day to run, in order '
                             '(default: %s)' % ' '.join(map(str, DEFAULT_DAYS)))
    parser.add_argument('--per-task', action='store_true',
                        help="each task's seconds and the peak memory after it "
                             '(bench/daily_tasks.py in place of minorconsent-daily)')
    args = parser.parse_args(argv)
    therapists = args.therapists or max(1, args.clients // 250)
    data = Path(args.data or '/tmp/benchdata-agreements-%d' % args.clients)
    pages.seeded(data, args.clients, therapists, args.progress, ('--agreements',))
    stamp = next(data.glob('seeded-%d-*' % args.clients))
    seeded_on = date.fromtimestamp(stamp.stat().st_mtime)
    copy = pages.copy_site(data, data.parent / (data.name + '-daily'))
    # A clinic seeded by older code lacks the indexes newer evolve steps
    # build (the period ends, the birthdays); the daily job refuses to run
    # on it until it is evolved, as an upgraded clinic must be.
    evolved = subprocess.run([str(BIN / 'minorconsent-evolve'), str(copy)],
                             capture_output=True, text=True)
    print('evolve: %s' % (evolved.stdout.strip().splitlines() or ['nothing to do'])[-1])
    print('machine: %s' % machine())
    print('clinic: %d generated clients (%s, Data.fs %.0f MB), seeded on %s; running on a '
          'copy: %s' % (args.clients, data, (data / 'Data.fs').stat().st_size / 2**20,
                        seeded_on, copy), flush=True)
    output = data / 'seed-output.txt'
    if output.exists():
        text = output.read_text()
        if 'Agreements of' in text:
            print(text[text.index('Agreements of'):text.index('Demo sign-ins')].rstrip())
    offsets = args.days if args.days is not None else DEFAULT_DAYS
    print('%-7s %-12s %8s %8s %10s %6s' % ('offset', 'day', 'seconds', 'CPU s', 'peak MB',
                                           'load'))
    worst = 0
    for offset in offsets:
        day = seeded_on + timedelta(days=offset)
        seconds, peak, out, code, cpu = run_day(copy, day, args.per_task)
        worst = max(worst, seconds)
        # The machine's 1-minute load average as the run ended (others' work).
        print('%-7d %-12s %8.1f %8.1f %10.0f %6.1f%s' % (
            offset, day, seconds, cpu, peak, os.getloadavg()[0],
            '' if code == 0 else '  EXIT %d' % code))
        for line in out.strip().splitlines():
            print('        ' + line.strip())
        sys.stdout.flush()
    print('slowest run: %.1f s (target: under 60 s)' % worst)
    return 0


if __name__ == '__main__':
    sys.exit(main())
