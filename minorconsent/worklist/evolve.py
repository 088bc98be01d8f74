"""The worklist room's evolve step (``site.evolve``): its store on the
clinic.  Step names are recorded in every database that ran them: never
rename one."""
from .notices import WorklistStore


def add_worklist_store(root, registry):
    if getattr(root, 'worklist_store', None) is None:
        root.worklist_store = WorklistStore()


def includeme(config):
    config.add_evolve_step('0035-worklist-store', add_worklist_store)
