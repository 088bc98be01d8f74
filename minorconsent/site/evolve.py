"""Schema evolution: ordered, named steps recorded in the database.

Each room registers its steps with ``config.add_evolve_step(name, step)``.
Names sort into the order steps run (``'0001-accounts-users-folder'``), and
the clinic root remembers every name it has run, so a step runs once per
database whatever else changes around it.

A brand-new database is *built* by running every step, so the code that
creates a folder and the code that adds it to an old database are the same
code.  An existing database is brought up to date only by the
``minorconsent-evolve`` console script: a web request never rewrites the
schema behind an administrator's back.
"""
import logging

from BTrees.OOBTree import OOTreeSet

log = logging.getLogger(__name__)

REGISTRY_KEY = 'minorconsent.evolve_steps'


def add_evolve_step(config, name, step):
    """Config directive: register ``step(root, registry)`` under ``name``."""
    def register():
        config.registry.setdefault(REGISTRY_KEY, {})[name] = step
    config.action(('minorconsent.evolve_step', name), register)


def all_steps(registry):
    """Every registered step, in run order."""
    steps = registry.get(REGISTRY_KEY, {})
    return [(name, steps[name]) for name in sorted(steps)]


def done_steps(root):
    return getattr(root, '_evolved', None) or ()


def pending_steps(root, registry):
    done = done_steps(root)
    return [(name, step) for name, step in all_steps(registry)
            if name not in done]


def run_steps(root, registry, steps, progress=None):
    """Run ``steps`` in order, recording each name as it completes."""
    if getattr(root, '_evolved', None) is None:
        root._evolved = OOTreeSet()
    for name, step in steps:
        log.info('evolve: running %s', name)
        step(root, registry)
        root._evolved.add(name)
        if progress is not None:
            progress(name)
    return [name for name, _ in steps]


def evolve(root, registry, progress=None):
    """Run every pending step; return their names."""
    return run_steps(root, registry, pending_steps(root, registry), progress)
