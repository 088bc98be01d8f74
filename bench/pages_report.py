"""bench/pages.py's tables: each page against both references, measured
next to it in the same rounds.

``x hello`` and ``x ref`` are the page's requests/s over the reference's
(medians of the rounds); ``cpu x hello`` and ``cpu x ref`` are the
reference's server CPU per request over the page's, the same ratio read
from /proc instead of the clock (what a page costs the server, whatever
else the machine did meanwhile).  Below 1: slower than the reference."""
import statistics

from benchkit import machine


def median(runs, key):
    return statistics.median(run[key] for run in runs) if runs else float('nan')


def ratio(a, b):
    return a / b if b else float('nan')


def report(results, pages, sizes, args, names, startup, memory, failures):
    """Print the tables.  ``results[(page, app)]``: wrk's figures of each
    round with ``cpu_us`` added; ``names``: every app served, the two
    references among them."""
    print('machine: %s' % machine())
    print('waitress threads=%d, wrk -t1 -c%d, %d rounds x %d s, servers on CPU 0, wrk on '
          'CPU 1; app: %d clients%s' % (
              args.threads, args.connections, args.rounds, args.seconds, args.clients,
              ', small: %d clients' % args.baseline_clients if 'small' in names else ''))
    extra = [name for name in names if name in ('small', 'no-audit')]
    head = ['page', 'bytes', 'app r/s', 'hello r/s', 'ref r/s', 'x hello', 'x ref',
            'cpu us/req', 'cpu x hello', 'cpu x ref'] + \
        ['%s r/s' % n for n in extra] + \
        ['x no-audit' for n in extra if n == 'no-audit'] + ['errors']
    print(' '.join('%-24s' % h if i == 0 else '%11s' % h for i, h in enumerate(head)))
    for page in pages:
        runs = {name: results.get((page, name), []) for name in names}
        rps = {name: median(runs[name], 'rps') for name in names}
        cpu = {name: median(runs[name], 'cpu_us') for name in names}
        row = ['%-24s' % page, '%11s' % (sizes.get(page) or '-'), '%11.1f' % rps['app'],
               '%11.1f' % rps['hello'], '%11.1f' % rps['reference'],
               '%11.3f' % ratio(rps['app'], rps['hello']),
               '%11.3f' % ratio(rps['app'], rps['reference']),
               '%11.0f' % cpu['app'], '%11.3f' % ratio(cpu['hello'], cpu['app']),
               '%11.3f' % ratio(cpu['reference'], cpu['app'])]
        row += ['%11.1f' % rps[n] for n in extra]
        row += ['%11.3f' % ratio(rps['app'], rps[n]) for n in extra if n == 'no-audit']
        row.append('%11d' % sum(r['errors'] for r in runs['app']))
        print(' '.join(row))
    print('errors: answers of 400 or more, and socket errors, over all rounds of the app')
    print()
    every = {name: [run for page in pages for run in results.get((page, name), [])]
             for name in ('hello', 'reference')}
    for name, label in (('hello', 'bare Pyramid "Hello"'),
                        ('reference', 'minimal signed-in page, bench/reference_app.py')):
        runs = every[name]
        print('reference %-9s %8.1f r/s  cpu %5.0f us/req  p50 %5.1f  p95 %5.1f  p99 %5.1f ms'
              '  %5d bytes  errors %d  (%s; median of all %d runs)' % (
                  name, median(runs, 'rps'), median(runs, 'cpu_us'), median(runs, 'p50'),
                  median(runs, 'p95'), median(runs, 'p99'), sizes.get(name, 0),
                  sum(r['errors'] for r in runs), label, len(runs)))
    print('reference/hello: %.3f x by requests/s, %.3f x by CPU per request' % (
        ratio(median(every['reference'], 'rps'), median(every['hello'], 'rps')),
        ratio(median(every['hello'], 'cpu_us'), median(every['reference'], 'cpu_us'))))
    print()
    head = ['page', 'p50 ms', 'p95 ms', 'p99 ms'] + \
        (['small p95', 'p95 ratio'] if 'small' in names else [])
    print(' '.join('%-24s' % h if i == 0 else '%11s' % h for i, h in enumerate(head)))
    for page in pages:
        runs = results.get((page, 'app'), [])
        row = ['%-24s' % page] + ['%11.1f' % median(runs, key)
                                  for key in ('p50', 'p95', 'p99')]
        if 'small' in names:
            small = results.get((page, 'small'), [])
            row += ['%11.1f' % median(small, 'p95'),
                    '%11.2f' % ratio(median(runs, 'p95'), median(small, 'p95'))]
        print(' '.join(row))
    print()
    for name in startup:
        print('start-up %-9s %.2f s (process start to the first answer)' % (
            name, startup[name]))
    for name, (peak, hwm) in memory.items():
        print('memory   %-9s resident peak %.0f MB during the load (VmHWM %.0f MB)'
              % (name, peak, hwm))
    if failures:
        print('\nCHECK FAILED after these runs (the figures of that page are not its '
              'own):')
        for failure in failures:
            print('  ' + failure)
    else:
        print('checks: after every run, each page still answered as the page named '
              '(a GET: 200 with its markers; a POST: a redirect)')
