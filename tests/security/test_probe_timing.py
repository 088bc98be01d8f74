"""A client URL you may not see takes as long to answer as one that does
not exist.

Status, headers and body were already the same; the time was not: a real
client id went through the view, the audit deriver and the permission
check, a made-up one stopped at traversal, 25-90 µs sooner, which a blind
test told apart 18-20 times out of 20.  Here both are timed in the same
process, interleaved, many times, for a visitor who may not see the child.

The statistic is paired: each round times one real and one made-up request
(in random order, back to back), so a burst of load on a busy machine hits
both members of a pair.  The test fails when the median paired difference
is both clear of the noise (more than ``Z`` standard errors, the error
measured from the same pairs) and larger than ``FLOOR_US``.  The old code
showed 38-60 µs here; the road both now take leaves 0-3 µs (a B-tree hit
against a miss, a persistent object's cache bookkeeping), which a quiet
machine can measure to ±1.5 µs, so the floor, a quarter of the old gap,
keeps the test from failing on that.  An attacker would need tens of
thousands of samples for such a residue and gets 30 probes and then one
every 2 s (security/ratelimit.py ``client-probe``).
"""
import gc
import random
import statistics
import time

import pytest

from minorconsent.site.folder import new_id

ROUNDS = 400
WARM_UP = 40
Z = 4.0
FLOOR_US = 10.0

#: Below the client: its page, a staff form, a summary's PDF (the deepest
#: kind of client URL a family reaches).
BELOW = {'page': '', 'form': 'edit', 'pdf': 'summaries/{summary}/summary.pdf'}


def timed(browser, path):
    start = time.perf_counter_ns()
    browser.get(path, status=404)
    return (time.perf_counter_ns() - start) / 1000.0


def paired_gaps(browser, real, fake, rounds, rng):
    """``real - fake`` time in µs for each round."""
    gaps = []
    for _ in range(rounds):
        if rng.random() < 0.5:
            r = timed(browser, real)
            f = timed(browser, fake)
        else:
            f = timed(browser, fake)
            r = timed(browser, real)
        gaps.append(r - f)
    return gaps


def verdict(gaps):
    """(median gap, its standard error, whether the two differ)."""
    middle = statistics.median(gaps)
    spread = statistics.median(abs(g - middle) for g in gaps) * 1.4826
    # The median's standard error from a robust spread (MAD), so one slow
    # request (a garbage collection, another process) moves nothing.
    error = 1.2533 * spread / len(gaps) ** 0.5
    return middle, error, abs(middle) > max(Z * error, FLOOR_US)


@pytest.mark.parametrize('below', sorted(BELOW))
@pytest.mark.parametrize('role', ['anonymous', 'guardian_other', 'guardian_restricted'])
def test_a_client_you_may_not_see_answers_as_fast_as_none(app, demo, browser_as, role, below):
    browser = browser_as(role)
    rest = BELOW[below].format(summary=demo.mateo_review_summary)
    real = '/clients/%s/%s' % (demo.mateo, rest)
    # One made-up id, asked as often as the real one, as a prober would:
    # Pyramid and the standard library remember recently split paths, so
    # a fresh id each time would be slower for that reason alone.
    fake = '/clients/%s/%s' % (new_id(), rest)
    rng = random.Random(14)
    paired_gaps(browser, real, fake, WARM_UP, rng)
    app.registry.audit_recorder.buffer.clear()
    gc.collect()
    gaps = paired_gaps(browser, real, fake, ROUNDS, rng)
    middle, error, differ = verdict(gaps)
    assert not differ, (
        'a real client answers %.1f µs %s than a made-up id (standard error %.1f µs, '
        '%d pairs)' % (abs(middle), 'slower' if middle > 0 else 'faster', error, len(gaps)))


def test_the_verdict_sees_a_gap_the_size_of_the_old_one():
    """The statistic is not blind: a 25 µs gap in noise much wider than
    it (as on a busy machine) is found; pure noise is not."""
    rng = random.Random(7)
    noise = [rng.gauss(0, 60) + (rng.expovariate(1 / 200) if rng.random() < 0.05 else 0)
             for _ in range(ROUNDS)]
    assert not verdict(noise)[2]
    assert verdict([g + 25 for g in noise])[2]
