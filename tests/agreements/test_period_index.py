"""The index of period ends (issue 17, the daily job's scale): the daily
tasks ``renewals`` and ``expiries`` read only the agreements whose last
day in force is near today (``validity.period_ends``), not every agreement
in force; the evolve step ``0043-agreements-period-ends`` builds the index
``start_period`` writes for a database made before it."""
from collections import Counter
from datetime import date, datetime, time, timedelta, timezone

import pytest

from minorconsent.agreements.evolve import period_ends as build_period_ends
from minorconsent.agreements.kinds import KIND_CONTENT_TYPES
from minorconsent.agreements.model import Agreement
from minorconsent.agreements.periods import expiries, renewals
from minorconsent.agreements.validity import set_period, valid_until
from minorconsent.scripts.seed import DEMO_PASSWORD, Seeder
from minorconsent.scripts.seed_agreements import AgreementSeeder, pdfs_not_stored
from minorconsent.site.daily import DailyRun

TODAY = date.today()
GENERATED = 40


def in_force(c):
    return [a for a in c['workflows'].members_in(('active',), KIND_CONTENT_TYPES)
            if isinstance(a, Agreement)]


@pytest.fixture
def seeded(app, clinic, demo):
    """The demo families plus ``GENERATED`` clients with a year of
    agreements (in force, renewed, waiting)."""
    with clinic() as c:
        seeder = Seeder(c, app.registry.passwords.hash(DEMO_PASSWORD), '', app.registry)
        therapists = seeder.generated_therapists(2)
        agreements = AgreementSeeder(c, app.registry, TODAY)
        with pdfs_not_stored():
            seeder.generated(GENERATED, therapists, lambda: None, lambda: None,
                             agreements=agreements.add)
    return demo


@pytest.fixture
def far(app, clinic, seeded):
    """Every agreement in force ends ``300`` days from today: nothing is
    due for renewal or expiry.  A first run of the tasks drops the entries
    of the agreements the seed's renewals superseded (they are read once,
    to learn that)."""
    with clinic() as c:
        for agreement in in_force(c):
            set_period(agreement, TODAY - timedelta(days=60), TODAY + timedelta(days=300))
        count = len(in_force(c))
    with clinic() as c:
        run = run_on(app, c, TODAY)
        assert renewals(run)['renewals sent'] == 0
        assert expiries(run)['agreements expired'] == 0
    with clinic() as c:
        # Nothing is left ending in the window the tasks read.
        assert sorted((day, key) for day, keys in c.period_ends.items() for key in keys
                      if day <= TODAY + timedelta(days=31)) == []
    return count


def run_on(app, c, day):
    now = datetime.combine(day, time(12), timezone.utc)
    return DailyRun(clinic=c, request=None, now=now, registry=app.registry)


def agreements_loaded(jar, walk):
    """``(result of walk(), Agreements loaded by it)`` from an empty cache."""
    jar.cacheMinimize()
    result = walk()
    kinds = Counter(type(obj).__name__ for _oid, obj in jar._cache.lru_items())
    return result, kinds['Agreement']


def test_the_tasks_read_no_agreement_far_from_its_end(app, clinic, far):
    assert far >= GENERATED
    with clinic() as c:
        jar, run = c._p_jar, run_on(app, c, TODAY)
        # The walk of every agreement in force (the tasks' old way) loads them all.
        walked, loaded = agreements_loaded(
            jar, lambda: len([valid_until(a) for a in in_force(c)]))
        assert walked == far and loaded >= far
        renewed, loaded_renewals = agreements_loaded(jar, lambda: renewals(run))
        expired, loaded_expiries = agreements_loaded(jar, lambda: expiries(run))
    assert renewed == {'renewals sent': 0, 'renewals not sent': 0}
    assert expired == {'agreements expired': 0, 'not expirable': 0}
    assert loaded_renewals == 0 and loaded_expiries == 0


def test_an_agreement_past_its_end_is_the_only_one_read_and_expires(app, clinic, far):
    with clinic() as c:
        ending = sorted(in_force(c), key=lambda a: a.workflow_key)[0]
        key = ending.workflow_key
        set_period(ending, TODAY - timedelta(days=365), TODAY - timedelta(days=1))
    with clinic() as c:
        jar, run = c._p_jar, run_on(app, c, TODAY)
        renewed, loaded_renewals = agreements_loaded(jar, lambda: renewals(run))
        expired, loaded_expiries = agreements_loaded(jar, lambda: expiries(run))
        assert key not in c.period_ends.get(TODAY - timedelta(days=1), ())
    assert renewed['renewals sent'] == 0 and loaded_renewals == 0
    assert expired == {'agreements expired': 1, 'not expirable': 0}
    assert loaded_expiries == 1
    with clinic() as c:
        assert [a for a in in_force(c) if a.workflow_key == key] == []
        assert len(in_force(c)) == far - 1


def test_a_moved_end_is_found_on_its_new_day_not_its_old(app, clinic, far):
    with clinic() as c:
        moved = sorted(in_force(c), key=lambda a: a.workflow_key)[1]
        key, old = moved.workflow_key, moved.valid_until
        set_period(moved, moved.valid_from, TODAY - timedelta(days=3))
        assert key not in c.period_ends.get(old, ())
        assert key in c.period_ends[TODAY - timedelta(days=3)]
        set_period(moved, moved.valid_from, None)      # no end: no entry at all
        assert all(key not in keys for keys in c.period_ends.values())
    with clinic() as c:
        assert expiries(run_on(app, c, TODAY))['agreements expired'] == 0


def snapshot(index):
    return {day: set(keys) for day, keys in index.items()}


def test_the_evolve_step_builds_the_index_start_period_writes(app, clinic, seeded):
    with clinic() as c:
        written = snapshot(c.period_ends)
        active = {a.workflow_key: valid_until(a) for a in in_force(c)
                  if valid_until(a) is not None}
        assert len(active) >= GENERATED
        del c.period_ends
        build_period_ends(c, app.registry)
        built = snapshot(c.period_ends)
    # Every agreement in force, under its last day, and nothing else.
    assert sorted((day, key) for day, keys in built.items() for key in keys) == sorted(
        (day, key) for key, day in active.items())
    # start_period wrote the same entries (and those of agreements since
    # superseded or expired, which the tasks drop as they meet them).
    assert all(keys <= written.get(day, set()) for day, keys in built.items())
