"""The caseload room's evolve step (``site.evolve``: named, run once per
database, in name order).  The step name is recorded in every database
that ran it: never rename it."""
from BTrees.OOBTree import OOBTree

from .store import key_of


def casefold_own_ids(root, registry):
    """``clinic.caseload_ids`` keyed by the case-folded own id
    (``store.key_of``): an index written before kept ids as spelt, so a
    file writing ``k-7`` for ``K-7`` would have made a second client.
    Where two spellings named two clients, the first in key order keeps
    the id; nothing is deleted."""
    index = getattr(root, 'caseload_ids', None)
    if index is None:
        return
    folded = OOBTree()
    for own, client_id in index.items():
        folded.setdefault(key_of(own), client_id)
    root.caseload_ids = folded


def includeme(config):
    config.add_evolve_step('0041-caseload-ids-casefold', casefold_own_ids)
