"""A BTree index from a key to a set of values (a multimap): the shape of
every "ids by X" index in the clinic (accounts by supervisor, invitations
and sessions by owner, clients by guardian, agreements by their last day).

Written once because each copy had to get the same two details right: the
set is made on first use, and an emptied set is dropped with its key, so
a walk over the index never meets a key with nothing under it.
"""
from BTrees.OOBTree import OOTreeSet


def add(index, key, value):
    """Put ``value`` under ``key``."""
    values = index.get(key)
    if values is None:
        values = index[key] = OOTreeSet()
    values.add(value)


def discard(index, key, value):
    """Take ``value`` from under ``key`` (nothing if absent); a key left
    with nothing goes too."""
    values = index.get(key)
    if values is not None and value in values:
        values.remove(value)
        if not values:
            del index[key]
