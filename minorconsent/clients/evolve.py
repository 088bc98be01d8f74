"""The clients room's evolve steps (``site.evolve``: named, run once per
database, in name order).  The step names are recorded in every database
that ran them: never rename one."""
from . import Clients


def add_clients_folder(root, registry):
    root.add(Clients(), 'clients')


def includeme(config):
    config.add_evolve_step('0003-clients-folder', add_clients_folder)
