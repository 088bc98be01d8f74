"""Benchmark: the write ceiling, FileStorage against RelStorage/PostgreSQL, in one run.

    .venv/bin/python bench/writes.py [--clients N] [--therapists T]
        [--clients-each K] [--connections C ...] [--threads W]
        [--seconds S] [--warmup S] [--rounds R] [--storages file postgres]
        [--data DIR]

Issue 20 item 4.  A progress update is one commit, and on FileStorage one
fsync; bench/pages.py measured about 41 a second from 8 connections all
posting on one goal.  Here T simulated therapists (default 50), each
signed in with its own session, post progress on the goals of their own
caseload (the first K clients of their list, two goals each), goal after
goal, so the writes land on different clients as in a clinic's afternoon.

The clinic is seeded once with ``minorconsent-seed --clients N
--therapists T --progress 4`` (bench/pages.py's ``seeded``, kept in
``--data DIR`` for the next run), then served twice from identical
copies: FileStorage (a copy of the files) and RelStorage on a scratch
PostgreSQL cluster (filled from the same files with ``zodbconvert``; see
bench/writes_storage.py), each by waitress with W threads (default 8),
both servers and PostgreSQL pinned to CPU 0, the load (Python threads,
keep-alive connections: bench/writes_load.py) on CPU 1.  Rounds alternate
the storages' order; each storage gets the same connection counts.

Reported per storage and connection count, the median over rounds:
acknowledged writes a second (302 to the goal's page), latency
p50/p95/p99, CPU milliseconds per write of the app server and of
PostgreSQL, and how busy the two kept CPU 0 (100 %: the ceiling is the
server's CPU; well under: it is waiting, on locks or the disk); summed over rounds: errors (any answer other than that 302,
or none; a 200 is the form shown again, nothing saved, and counted as an
error too) and the retries after a ConflictError that pyramid_retry ran
(bench/writes_probe.py logs them; a retried POST that committed is a
success).  Then the check that matters most: each storage's progress
entries are counted before the servers start and after they stop, by
opening the storage directly, and every POST carried a note of its own:
every acknowledged note must be stored, exactly once, and the entries
added must be the POSTs' own.  Exit status 1 if anything acknowledged is
missing.
"""
import argparse
import contextlib
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pages  # noqa: E402  (the seeding and copying of bench/pages.py)
import writes_load as load  # noqa: E402
import writes_storage as storage  # noqa: E402
from benchkit import free_port, machine, pinned  # noqa: E402

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
NAMES = {'file': 'FileStorage', 'postgres': 'RelStorage/PG'}

#: The app as bench/pages.py serves it: waitress, W threads.
SERVE = textwrap.dedent('''
    import logging, sys, waitress
    # "Task queue depth is N" is waitress saying the load is on, at every request.
    logging.getLogger('waitress.queue').setLevel(logging.ERROR)
    from pyramid.paster import get_app
    ini, port, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    # As the ini files serve (egg:minorconsent#waitress): the main-loop
    # spin fix (docs/WAITRESS-SPIN.md), for every app and reference alike.
    from minorconsent.site import waitress_spin; waitress_spin.apply()
    waitress.serve(get_app(ini), host='127.0.0.1', port=port, threads=threads, _quiet=True)
''')






def start_server(ini, threads, log):
    """waitress on CPU 0, its output to ``log`` (the retry probe's lines);
    returns ``(process, port)``."""
    port = free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(HERE)] + [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p]))
    with open(log, 'ab') as out:
        proc = subprocess.Popen(pinned(0) + [sys.executable, '-c', SERVE, str(ini), str(port),
                                             str(threads)],
                                stdout=out, stderr=subprocess.STDOUT, env=env)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            urllib.request.urlopen('http://127.0.0.1:%d/login' % port, timeout=5).read()
            return proc, port
        except urllib.error.HTTPError:
            return proc, port
        except OSError:
            if proc.poll() is not None:
                raise SystemExit('the server exited with %s:\n%s' % (
                    proc.returncode, Path(log).read_text()[-3000:]))
            time.sleep(0.1)
    proc.kill()
    raise SystemExit('the server did not start:\n%s' % Path(log).read_text()[-3000:])


def stop_server(proc):
    """SIGTERM: the audit recorder seals what it holds, the storage closes."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def retries(log):
    counts = {}
    for line in Path(log).read_text(errors='replace').splitlines():
        if line.startswith('RETRY '):
            name = line.split()[1]
            counts[name] = counts.get(name, 0) + 1
    return counts


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--clients', type=int, default=1000,
                        help='generated clients (default 1000: 20 per therapist)')
    parser.add_argument('--therapists', type=int, default=50)
    parser.add_argument('--progress', type=int, default=4,
                        help='progress updates per generated client in the seed (default 4)')
    parser.add_argument('--clients-each', type=int, default=5, metavar='K',
                        help='clients per therapist whose goals are written to (default 5: '
                             '10 goals each, 500 in all)')
    parser.add_argument('--connections', type=int, nargs='+', default=[8, 50],
                        help='connection counts to measure (each <= --therapists; default 8 50)')
    parser.add_argument('--threads', type=int, default=8, help='waitress threads (default 8)')
    parser.add_argument('--seconds', type=float, default=20)
    parser.add_argument('--warmup', type=float, default=3)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--storages', nargs='+', choices=('file', 'postgres'),
                        default=['file', 'postgres'])
    parser.add_argument('--pg-setting', action='append', default=[], metavar='NAME=VALUE',
                        help='a PostgreSQL setting for a diagnosis (default: none; fsync and '
                             'synchronous_commit stay on, as FileStorage fsyncs every commit)')
    parser.add_argument('--data', default=None,
                        help='keep the seeded clinic in this directory and reuse it')
    args = parser.parse_args(argv)
    if max(args.connections) > args.therapists:
        parser.error('--connections above --therapists would share a session between '
                     'two connections')
    if args.clients < args.therapists:
        parser.error('--clients must be at least --therapists (each needs a caseload)')
    return args


def main(argv=None):
    args = parse(sys.argv[1:] if argv is None else argv)
    from minorconsent.scripts.seed import DEMO_PASSWORD
    workdir = Path(tempfile.mkdtemp(prefix='minorconsent-writes-'))
    data = Path(args.data) if args.data else workdir / 'data'
    marker = 'wb%s-' % secrets.token_hex(3)
    seeded = pages.seeded(data / ('writes-clinic-%d' % args.clients), args.clients,
                          args.therapists, args.progress).parent
    servers, sites = {}, {}
    try:
        with contextlib.ExitStack() as stack:
            if 'file' in args.storages:
                site = workdir / 'file'
                pages.copy_site(seeded, site)
                sites['file'] = storage.file_ini(site)
            if 'postgres' in args.storages:
                pg = stack.enter_context(storage.postgres(free_port(), pinned(0), args.pg_setting))
                took = storage.convert(seeded, pg, workdir / 'pg', BIN / 'zodbconvert')
                print('PostgreSQL on port %d (%s); zodbconvert %.1f s'
                      % (pg.port, pg.settings, took), flush=True)
                sites['postgres'] = storage.pg_ini(pg, workdir / 'pg')
            before = {name: storage.census(ini, marker, ini.parent / 'census-blobs')
                      for name, ini in sites.items()}
            for name, ini in sites.items():
                log = ini.parent / 'server.log'
                servers[name] = start_server(ini, args.threads, log) + (log,)
            if (os.cpu_count() or 1) > 1 and hasattr(os, 'sched_setaffinity'):
                os.sched_setaffinity(0, {1})
            started = time.perf_counter()
            therapists = {name: load.sign_in_all(port, args.therapists, DEMO_PASSWORD,
                                                 args.clients_each)
                          for name, (_, port, _) in servers.items()}
            print('%d therapists signed in on each server (%d goals each on average) in '
                  '%.0f s' % (args.therapists, sum(len(t.goals) for t in therapists[
                      args.storages[0]]) / args.therapists, time.perf_counter() - started),
                  flush=True)
            # The sign-ins' own retries (sessions written at once) are not the load's.
            signed_in = {name: retries(log) for name, (_, _, log) in servers.items()}
            results = run_rounds(args, servers, therapists, marker,
                                 pg.pid if 'postgres' in sites else None)
            for name, kinds in signed_in.items():
                results[name, 'retry kinds'] = {
                    kind: count - kinds.get(kind, 0)
                    for kind, count in results[name, 'retry kinds'].items()
                    if count - kinds.get(kind, 0)}
            for proc, _, _ in servers.values():
                stop_server(proc)
            after = {name: storage.census(ini, marker, ini.parent / 'census-blobs')
                     for name, ini in sites.items()}
        print()
        print(machine())
        failed = report(args, results, before, after)
    finally:
        for proc, _, _ in servers.values():
            stop_server(proc)
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


def run_rounds(args, servers, therapists, marker, pg_pid):
    """{(storage, connections): [round dicts]}, plus each storage's Outcome
    (every acknowledged note of all its rounds) under (storage, 'all')."""
    names = list(servers)
    results = {(name, 'all'): load.Outcome() for name in names}
    for number in range(args.rounds):
        order = names[number % len(names):] + names[:number % len(names)]
        for connections in args.connections:
            for name in order:
                proc, port, log = servers[name]

                def sample():
                    cpu = {'app': storage.cpu_seconds([proc.pid])}
                    if name == 'postgres':
                        cpu['pg'] = storage.cpu_seconds([pg_pid])
                    return cpu
                outcome = load.Outcome()
                retried = sum(retries(log).values())
                # Notes unique over the whole run: <marker>r<round>c<connections>-<n>.
                window, cpu = load.drive(port, therapists[name], connections, args.seconds,
                                         args.warmup, '%sr%dc%d-' % (marker, number, connections),
                                         outcome, sample)
                time.sleep(0.5)      # the last answers' retries are logged
                acked = outcome.status.get(302, 0)
                results.setdefault((name, connections), []).append(dict(
                    rps=acked / window, acked=acked,
                    errors=sum(v for k, v in outcome.status.items() if k != 302),
                    retries=sum(retries(log).values()) - retried,
                    p50=load.percentile(outcome.latency, 0.50) * 1000,
                    p95=load.percentile(outcome.latency, 0.95) * 1000,
                    p99=load.percentile(outcome.latency, 0.99) * 1000,
                    app_cpu=cpu['app'] * 1000 / max(acked, 1),
                    pg_cpu=cpu['pg'] * 1000 / max(acked, 1) if 'pg' in cpu else None,
                    busy=sum(cpu.values()) * 100 / window,
                    statuses=dict(outcome.status), examples=outcome.examples))
                everything = results[name, 'all']
                everything.acknowledged |= outcome.acknowledged
                everything.unacknowledged += outcome.unacknowledged
                print('round %d %-13s %2d connections: %6.1f writes/s, %d errors, '
                      '%d retries' % (number + 1, NAMES[name], connections,
                                      results[name, connections][-1]['rps'],
                                      results[name, connections][-1]['errors'],
                                      results[name, connections][-1]['retries']), flush=True)
    for name in names:
        results[name, 'retry kinds'] = retries(servers[name][2])
    return results


def report(args, results, before, after):
    """Print the table and the check of every acknowledged write; True if
    anything acknowledged is missing or stored twice."""
    print('writes: progress-update POSTs by %d therapists (own sessions, goals of %d clients '
          'each), waitress threads=%d, %d round(s) x %g s (+%g s warm-up) per storage and '
          'connection count; server(s) and PostgreSQL on CPU 0, load on CPU 1; clinic: '
          '%d generated clients' % (args.therapists, args.clients_each, args.threads,
                                    args.rounds, args.seconds, args.warmup, args.clients))
    head = ('storage', 'conns', 'writes/s', 'p50 ms', 'p95 ms', 'p99 ms', 'acked', 'errors',
            'retries', 'app CPU ms/w', 'PG CPU ms/w', 'server CPU %')
    print('%-14s' % head[0] + ''.join('%13s' % h for h in head[1:]))
    for connections in args.connections:
        for name in args.storages:
            rounds = results[name, connections]

            def median(key):
                return statistics.median(r[key] for r in rounds)
            pg_cpu = '%13.2f' % median('pg_cpu') if rounds[0]['pg_cpu'] is not None else \
                '%13s' % '-'
            print('%-14s%13d%13.1f%13.1f%13.1f%13.1f%13d%13d%13d%13.2f%s%13.0f' % (
                NAMES[name], connections, median('rps'), median('p50'), median('p95'),
                median('p99'), sum(r['acked'] for r in rounds),
                sum(r['errors'] for r in rounds), sum(r['retries'] for r in rounds),
                median('app_cpu'), pg_cpu, median('busy')))
            odd = {}
            for r in rounds:
                for status, count in r['statuses'].items():
                    if status != 302:
                        odd[status] = odd.get(status, 0) + count
            if odd:
                print('    answers other than 302 to the goal: %s; e.g. %s'
                      % (odd, rounds[-1]['examples'][:2] or rounds[0]['examples'][:2]))
    print('writes/s: POSTs answered 302 to the goal\'s page, a second, in the timed window; '
          'errors: any other answer (200 = form shown again, nothing saved) or none; '
          'retries: pyramid_retry retries (a retried POST that committed counts as acked); '
          'CPU ms per acknowledged write (PG: the postmaster and its backends); server CPU %: '
          'app + PG CPU seconds over the window (100 = CPU 0 saturated by them)')
    failed = False
    for name in args.storages:
        everything = results[name, 'all']
        (entries0, found0), (entries1, found) = before[name], after[name]
        acked = everything.acknowledged
        lost = acked - set(found)
        twice = sum(1 for count in found.values() if count > 1)
        unacked_stored = len(set(everything.unacknowledged) & set(found))
        added = entries1 - entries0
        ok = not lost and not twice and not found0 and added == sum(found.values())
        failed = failed or not ok
        print('%s: progress entries %d before, %d after (+%d); POSTs acknowledged %d (warm-up '
              'included), stored %d, lost %d, stored twice %d; unacknowledged POSTs %d, of '
              'them stored %d; retries in the load by kind %s -- %s' % (
                  NAMES[name], entries0, entries1, added, len(acked), len(acked & set(found)),
                  len(lost), twice, len(everything.unacknowledged), unacked_stored,
                  results[name, 'retry kinds'] or '{}',
                  'every acknowledged write is in the database' if ok else 'FAILED'))
    return failed


if __name__ == '__main__':
    sys.exit(main())
