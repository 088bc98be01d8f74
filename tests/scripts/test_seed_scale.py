"""Seeding a large clinic finishes (timing is printed, never asserted)."""
import time

from minorconsent.scripts import seed

from scripthelpers import open_db, run
from scripthelpers import other_site, site  # noqa: F401  (fixtures)

COUNT = 10_000


def test_seeding_10000_clients_completes(site, other_site, capsys):
    assert run(seed, other_site.ini, '--clients', '0', '--quiet')[0] == 0
    with open_db(other_site) as (root, clinic):
        named = len(clinic['clients'])

    started = time.perf_counter()
    code, _, err = run(seed, site.ini, '--clients', str(COUNT), '--quiet')
    elapsed = time.perf_counter() - started
    assert code == 0
    assert 'seeding' not in err          # --quiet: no progress bar

    with open_db(site) as (root, clinic):
        assert len(clinic['clients']) == named + COUNT
        users = clinic['users']
        assert users.find_by_email('parent%05d@demo.test' % (COUNT - 1)) is not None
        assert len(clinic['clients'].index.by_guardian) >= COUNT
    with capsys.disabled():
        print('\nseeded %d clients in %.1f s' % (COUNT, elapsed))
