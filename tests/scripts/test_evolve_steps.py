"""minorconsent.site.evolve on its own, with a dict standing in for the
registry (``all_steps`` only calls ``registry.get``)."""
import transaction
from ZODB import DB
from ZODB.MappingStorage import MappingStorage

from minorconsent.site import Clinic
from minorconsent.site.evolve import (REGISTRY_KEY, all_steps, done_steps,
                                      evolve, pending_steps)


class FakeRegistry(dict):
    """Only what the evolve module uses of a Pyramid registry."""


def recorder(calls, name):
    def step(root, registry):
        calls.append(name)
        setattr(root, 'did_' + name.replace('-', '_'), True)
    return step


def registry_with(calls, names):
    return FakeRegistry({REGISTRY_KEY: {name: recorder(calls, name) for name in names}})


def test_steps_run_in_sorted_name_order_once_each_and_are_recorded():
    calls = []
    # Registered out of order, as rooms happen to be included.
    registry = registry_with(calls, ['0003-c', '0001-a', '0010-d', '0002-b'])
    root = Clinic()
    assert [name for name, _ in all_steps(registry)] == \
        ['0001-a', '0002-b', '0003-c', '0010-d']
    progress = []

    ran = evolve(root, registry, progress=progress.append)

    assert calls == ['0001-a', '0002-b', '0003-c', '0010-d']
    assert ran == calls
    assert progress == calls
    assert list(root._evolved) == calls
    assert set(done_steps(root)) == set(calls)
    assert root.did_0010_d
    assert pending_steps(root, registry) == []

    # A second run does nothing.
    assert evolve(root, registry) == []
    assert calls == ['0001-a', '0002-b', '0003-c', '0010-d']


def test_a_newly_registered_step_runs_alone():
    calls = []
    registry = registry_with(calls, ['0001-a', '0003-c'])
    root = Clinic()
    evolve(root, registry)
    registry[REGISTRY_KEY]['0002-b'] = recorder(calls, '0002-b')
    calls.clear()

    assert [name for name, _ in pending_steps(root, registry)] == ['0002-b']
    assert evolve(root, registry) == ['0002-b']
    assert calls == ['0002-b']
    assert list(root._evolved) == ['0001-a', '0002-b', '0003-c']


def test_no_steps_registered_is_a_no_op():
    root = Clinic()
    assert all_steps(FakeRegistry()) == []
    assert evolve(root, FakeRegistry()) == []
    assert list(done_steps(root)) == []


def test_a_failing_step_is_not_recorded_and_stops_the_run():
    calls = []
    registry = registry_with(calls, ['0001-a', '0003-c'])

    def broken(root, registry):
        raise RuntimeError('boom')
    registry[REGISTRY_KEY]['0002-b'] = broken
    root = Clinic()
    try:
        evolve(root, registry)
    except RuntimeError:
        pass
    else:  # pragma: no cover
        raise AssertionError('the failing step did not raise')
    assert calls == ['0001-a']
    assert list(root._evolved) == ['0001-a']


def test_done_steps_are_seen_on_a_clinic_loaded_from_the_database():
    """A clinic fresh out of the database is a ghost until touched.

    ``done_steps`` reads ``root.__dict__``, which does not load a ghost's
    state, so a clinic that has not been touched yet looks as if no step
    had ever run; ``evolve`` then re-runs every step on an existing database.
    """
    calls = []
    registry = registry_with(calls, ['0001-a', '0002-b'])
    db = DB(MappingStorage())
    try:
        tm = transaction.TransactionManager(explicit=True)
        conn = db.open(transaction_manager=tm)
        with tm:
            conn.root()['clinic'] = Clinic()
            evolve(conn.root()['clinic'], registry)
        conn.close()
        db.cacheMinimize()
        calls.clear()

        conn = db.open(transaction_manager=tm)
        try:
            with tm:
                clinic = conn.root()['clinic']
                assert set(done_steps(clinic)) == {'0001-a', '0002-b'}
                assert pending_steps(clinic, registry) == []
                assert evolve(clinic, registry) == []
                assert calls == []
        finally:
            conn.close()
    finally:
        db.close()
