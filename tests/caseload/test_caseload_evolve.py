"""The evolve step that case-folds the own-id index of a database written
before ids were matched without regard to case."""
from BTrees.OOBTree import OOBTree

from minorconsent.caseload.evolve import casefold_own_ids
from minorconsent.caseload.store import find_client


def test_an_index_of_ids_as_spelt_is_folded_and_still_finds_each_client(clinic, demo):
    with clinic() as c:
        c.caseload_ids = OOBTree({'K-7': demo.mateo, 'Lu-9': demo.lucia})
        c['clients'][demo.mateo].external_id = 'K-7'
        c['clients'][demo.lucia].external_id = 'Lu-9'
        casefold_own_ids(c, None)
        assert dict(c.caseload_ids) == {'k-7': demo.mateo, 'lu-9': demo.lucia}
        assert find_client(c, 'k-7').__name__ == demo.mateo
        assert find_client(c, 'LU-9').__name__ == demo.lucia
        casefold_own_ids(c, None)                      # again: nothing moves
        assert dict(c.caseload_ids) == {'k-7': demo.mateo, 'lu-9': demo.lucia}


def test_a_database_without_the_index_is_left_alone(clinic):
    with clinic() as c:
        if hasattr(c, 'caseload_ids'):
            del c.caseload_ids
        casefold_own_ids(c, None)
        assert getattr(c, 'caseload_ids', None) is None
