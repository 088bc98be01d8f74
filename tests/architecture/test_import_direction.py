"""Rooms import each other in one direction only (docs/ARCHITECTURE.md).

The floors are in ``rooms.py``.  ``AGAINST_THE_FLOORS`` lists the imports
that still run the wrong way, each to be removed (a registered function
or an event instead); the test fails on any import against the floors
not listed, and on a listed one that is gone (so the list only shrinks).
The function-local imports of ``minorconsent`` modules have a ceiling
that only comes down (today none: a cycle between rooms is turned round
with a registration or an event, never hidden in a function).
"""
import rooms

#: ``importing module -> imported module`` still to be turned round: none.
#: An entry here is a debt with a reason, never a way to pass the test.
AGAINST_THE_FLOORS = set()

#: Function-local imports of ``minorconsent`` modules: none.  One would be
#: allowed only where a cycle with a third-party library forces it, with a
#: comment saying so (the issue's limit is 10); raise this only then.
FUNCTION_LOCAL_CEILING = 0


def key(found):
    return '%s -> %s' % (found.module, found.target)


def test_every_module_is_in_a_room_on_a_floor():
    for found in rooms.imports():
        rooms.rank(rooms.room_of(found.module))
        rooms.rank(rooms.room_of(found.target))


def test_no_new_import_runs_against_the_floors():
    upward = [f for f in rooms.imports() if f.upward]
    new = [str(f) for f in upward if key(f) not in AGAINST_THE_FLOORS]
    assert not new, 'imports against the floors (docs/ARCHITECTURE.md):\n' + '\n'.join(new)


def test_the_list_of_known_exceptions_only_shrinks():
    still = {key(f) for f in rooms.imports() if f.upward}
    gone = sorted(AGAINST_THE_FLOORS - still)
    assert not gone, 'fixed, remove from AGAINST_THE_FLOORS: %s' % gone


def test_function_local_imports_only_come_down():
    local = [f for f in rooms.imports() if f.local]
    assert len(local) <= FUNCTION_LOCAL_CEILING, (
        '%d function-local imports of minorconsent modules (ceiling %d): import at the '
        'top, or turn the dependency round' % (len(local), FUNCTION_LOCAL_CEILING))


def test_the_reader_sees_an_import_against_the_floors(tmp_path):
    """The check itself: a planted upward import is found."""
    package = tmp_path / 'minorconsent'
    (package / 'site').mkdir(parents=True)
    (package / '__init__.py').write_text('')
    (package / 'site' / '__init__.py').write_text('')
    (package / 'site' / 'bad.py').write_text(
        'def f():\n    from minorconsent.portal import parentview\n')
    found = rooms.imports(package)
    assert [(f.module, f.target, f.local, f.upward) for f in found] == [
        ('minorconsent.site.bad', 'minorconsent.portal', True, True)]
