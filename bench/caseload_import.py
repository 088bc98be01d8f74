"""Benchmark: minorconsent-import of a 50,000-row caseload (issue 18 item 1:
under 2 minutes, committed in batches, bounded memory).

    .venv/bin/python bench/caseload_import.py [--rows N] [--therapists N] [--data DIR] [--batch N]

Makes a fresh clinic in ``--data`` (the demo sign-ins and ``--therapists``
generated therapists: ``minorconsent-seed --clients 0 --therapists N``),
generates a caseload file of ``--rows`` rows (one per guardian link; every
fifth client has a second guardian, as the seed's clinics do), then runs,
each as its own process: the dry run, the import, and the same import
again (everything unchanged).  Per run: wall time and that child's own
peak resident memory (``wait4``'s ``ru_maxrss``), and the script's report.
bench/RESULTS.md records the figures with the command.
"""
import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from minorconsent.caseload.columns import NAMES

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchkit import machine  # noqa: E402

BIN = Path(sys.executable).parent
#: As production.ini: each connection's object cache is bounded.
INI = """\
[app:main]
use = egg:minorconsent
zodbconn.uri = file://{dir}/Data.fs?blobstorage_dir={dir}/blobs&connection_cache_size=20000&connection_cache_size_bytes=40mb
zodbconn.uri.audit = file://{dir}/Audit.fs
minorconsent.mail_debug = {dir}/mail
mail.default_sender = no-reply@demo.test
minorconsent.public_url = https://portal.demo.test
minorconsent.password_profile = cheapest
"""
FIRST = ('Mia', 'Noah', 'Liam', 'Zoe', 'Ella', 'Owen', 'Ivy', 'Leo', 'Ruby', 'Finn',
         'Nora', 'Eli', 'Ada', 'Kai', 'Luz', 'Theo')
LAST = ('Brightwater', 'Castellano', 'Duvall', 'Emberly', 'Fairhaven', 'Glenmore',
        'Holloway', 'Ingram', 'Juniper', 'Kestrel', 'Lindqvist', 'Marlowe')


def generate(path, rows, therapists):
    """A caseload of ``rows`` rows; returns the number of clients."""
    today = date.today()
    written, n = 0, 0
    with open(path, 'w', newline='') as f:
        out = csv.writer(f)
        out.writerow(NAMES)
        while written < rows:
            first, last = FIRST[n % len(FIRST)], LAST[(n // 7) % len(LAST)]
            born = date(today.year - 6 - n % 11, 1 + n % 12, 1 + n % 28)
            client = ['CL-%06d' % n, first, last, born.isoformat(), 'US-CA',
                      'therapist%03d@demo.test' % (1 + n % therapists), '']
            guardians = [('Pat', 'parent%06d@demo.test' % n, 'mother')]
            if n % 5 == 4:
                guardians.append(('Sam', 'coparent%06d@demo.test' % n, 'father'))
            for given, email, relationship in guardians:
                if written == rows:
                    break
                out.writerow(client + [given, last, email, relationship, 'yes', 'no',
                                       'es' if n % 9 == 0 else 'en', 'yes', 'no', 'yes', 'no'])
                written += 1
            n += 1
    return n


def run(*args):
    """``(seconds, CPU seconds, peak RSS in MB of this child, its output,
    exit code)``: the CPU time (user + system) says what the run costs
    when other work shares the machine's CPUs."""
    with tempfile.TemporaryFile('w+') as out, tempfile.TemporaryFile('w+') as err:
        started = time.perf_counter()
        child = subprocess.Popen([str(a) for a in args], stdout=out, stderr=err)
        _pid, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        output, errors = out.read(), err.read()
    if code:
        print(errors[-3000:], file=sys.stderr)
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, output, code


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--rows', type=int, default=50000)
    parser.add_argument('--therapists', type=int, default=200)
    parser.add_argument('--data', default='/tmp/mc-bench-caseload')
    parser.add_argument('--batch', type=int, default=None,
                        help="the import's --batch (default: the script's, 2000)")
    args = parser.parse_args(argv)
    data = Path(args.data)
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    ini = data / 'bench.ini'
    ini.write_text(INI.format(dir=data))
    print('machine: %s' % machine())
    seconds, cpu, peak, _out, code = run(BIN / 'minorconsent-seed', ini, '--quiet', '--clients', '0',
                                    '--therapists', args.therapists)
    assert code == 0, 'seeding failed'
    caseload = data / 'caseload.csv'
    clients = generate(caseload, args.rows, args.therapists)
    print('file: %d rows, %d clients, %d therapists, %.1f MB' % (
        args.rows, clients, args.therapists, caseload.stat().st_size / 2**20), flush=True)
    print('%-22s %8s %8s %10s' % ('run', 'seconds', 'CPU s', 'peak MB'))
    worst = 0
    batch = ('--batch', args.batch) if args.batch else ()
    for label, extra in (('dry run', ('--dry-run',)), ('import', ()),
                         ('again (unchanged)', ())):
        seconds, cpu, peak, out, code = run(BIN / 'minorconsent-import', ini, caseload,
                                            '--quiet', *extra, *batch)
        if label == 'import':
            worst = seconds
        print('%-22s %8.1f %8.1f %10.0f%s' % (label, seconds, cpu, peak,
                                        '' if code == 0 else '  EXIT %d' % code))
        for line in out.strip().splitlines()[1:]:
            print('        ' + line.strip())
        sys.stdout.flush()
    print('import: %.1f s (target: under 120 s); load average %.1f; Data.fs %.0f MB' % (
        worst, os.getloadavg()[0], (data / 'Data.fs').stat().st_size / 2**20))
    return 0


if __name__ == '__main__':
    sys.exit(main())
