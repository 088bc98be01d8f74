"""The clients room's evolve steps (``site.evolve``: named, run once per
database, in name order).  The step names are recorded in every database
that ran them: never rename one."""
from BTrees.OOBTree import OOTreeSet

from . import Clients


def add_clients_folder(root, registry):
    root.add(Clients(), 'clients')


def index_births(root, registry):
    """The clients index's ``by_birth`` (the admin's count of clients
    coming of age reads a key range of it): made, then every client
    reindexed into it."""
    clients = root['clients']
    if getattr(clients.index, 'by_birth', None) is None:
        clients.index.by_birth = OOTreeSet()
        for client in list(clients.values()):
            clients.reindex(client)


def includeme(config):
    config.add_evolve_step('0003-clients-folder', add_clients_folder)
    config.add_evolve_step('0037-clients-by-birth', index_births)
