"""Fixtures of the fuzz suite: one crawled, signed-in world per role.

Built lazily and once per test session (crawling costs about a second for
the roles that see the most pages), over the session's seeded clinic.
"""
import pytest

from fuzzkit import build_world


@pytest.fixture(scope='session')
def world_of(base_app):
    """``world_of('therapist')``: that role's ``fuzzkit.World``."""
    cache = {}

    def get(role):
        if role not in cache:
            cache[role] = build_world(base_app, role)
        return cache[role]
    yield get
    for world in cache.values():
        for db in world.databases.values():
            db.close()
