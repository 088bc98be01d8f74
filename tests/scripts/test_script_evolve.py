"""minorconsent-evolve against a real FileStorage.

Each test builds a database with the seed script, then reopens it in a new
process-like way (a fresh ``DB`` per script run), which is how an operator
runs the script against an existing database.
"""
import pytest

from minorconsent import main as make_app
from minorconsent.scripts import evolve, seed
from minorconsent.site.evolve import all_steps

from scripthelpers import last_transaction, open_db, run
from scripthelpers import site  # noqa: F401  (fixtures)

STEP = '0001-security-sessions'


@pytest.fixture(scope='module')
def registered():
    """Names of every step the configured app registers, in run order."""
    app = make_app({}, **{'zodbconn.uri': 'memory://', 'zodbconn.uri.audit': 'memory://',
                          'minorconsent.password_profile': 'cheapest'})
    try:
        names = [name for name, _ in all_steps(app.registry)]
    finally:
        for db in app.registry._zodb_databases.values():
            db.close()
    assert STEP in names
    assert len(names) >= 3
    return names


@pytest.fixture
def seeded(site):
    assert run(seed, site.ini, '--quiet', '--clients', '3')[0] == 0
    return site


def listing(out):
    """``{name: status}`` from ``--list`` output."""
    result = {}
    for line in out.splitlines():
        status, name = line.split()
        result[name] = status
    return result


def forget_step(site):
    """Make the database look as if STEP had never run."""
    with open_db(site, commit=True) as (root, clinic):
        assert STEP in clinic._evolved
        clinic._evolved.remove(STEP)
        del clinic.sessions


def test_list_shows_every_step_done_on_a_fresh_seeded_database(seeded, registered):
    tid = last_transaction(seeded)
    code, out, _ = run(evolve, seeded.ini, '--list')
    assert code == 0
    assert listing(out) == {name: 'done' for name in registered}
    assert [line.split()[1] for line in out.splitlines()] == registered
    assert last_transaction(seeded) == tid, '--list wrote to the database'


def test_up_to_date_database_is_left_alone(seeded):
    tid = last_transaction(seeded)
    code, out, _ = run(evolve, seeded.ini)
    assert code == 0
    assert 'up to date' in out
    assert last_transaction(seeded) == tid


def test_list_shows_a_forgotten_step_as_pending(seeded, registered):
    forget_step(seeded)
    code, out, _ = run(evolve, seeded.ini, '--list')
    assert code == 0
    expected = {name: 'done' for name in registered}
    expected[STEP] = 'pending'
    assert listing(out) == expected


def test_evolve_reruns_only_the_missing_step_and_records_it(seeded, registered):
    forget_step(seeded)
    with open_db(seeded) as (root, clinic):
        users_before = sorted(clinic['users'].keys())
        clients_before = sorted(clinic['clients'].keys())

    code, out, _ = run(evolve, seeded.ini)
    assert code == 0
    assert 'ran %s' % STEP in out
    assert out.count('ran ') == 1, out

    with open_db(seeded) as (root, clinic):
        assert getattr(clinic, 'sessions', None) is not None
        assert set(clinic._evolved) == set(registered)
        # The other steps did not run again: existing folders are untouched.
        assert sorted(clinic['users'].keys()) == users_before
        assert sorted(clinic['clients'].keys()) == clients_before

    code, out, _ = run(evolve, seeded.ini, '--list')
    assert listing(out) == {name: 'done' for name in registered}


def test_dry_run_runs_the_step_then_aborts(seeded, registered):
    forget_step(seeded)
    tid = last_transaction(seeded)

    code, out, _ = run(evolve, seeded.ini, '--dry-run')
    assert code == 0
    assert 'ran %s' % STEP in out
    assert out.count('ran ') == 1, out
    assert 'Would run 1 step' in out

    assert last_transaction(seeded) == tid, '--dry-run committed'
    with open_db(seeded) as (root, clinic):
        assert STEP not in clinic._evolved
        assert not hasattr(clinic, 'sessions')
        assert set(clinic._evolved) == set(registered) - {STEP}
