"""The workflow room's evolve steps (``site.evolve``: named, run once per
database, in name order).  The step names are recorded in every database
that ran them: never rename one."""
from .store import WorkflowRecord, WorkflowStore

#: Registry key of the shipped definitions, ``{id: (source, Workflow)}``,
#: read and checked when the app starts (``includeme``).
DEFAULTS_KEY = 'minorconsent.workflow_defaults'


def install_defaults(root, registry):
    """A new database: the store, with every shipped definition as its
    version 1."""
    store = WorkflowStore()
    root.add(store, 'workflows')
    install_missing_defaults(root, registry)


def install_missing_defaults(root, registry):
    """Add each shipped definition the clinic does not have yet (a new
    room's workflow); the clinic's own versions of the others are kept."""
    store = root['workflows']
    for wid, (source, _) in sorted(registry[DEFAULTS_KEY].items()):
        if wid not in store:
            store.add(WorkflowRecord(source), wid)


def includeme(config):
    config.add_evolve_step('0004-workflow-definitions', install_defaults)
    config.add_evolve_step('0009-workflow-new-defaults', install_missing_defaults)
