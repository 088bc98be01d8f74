"""BTree-backed containers for the resource tree.

A ``Folder`` keeps its children in an ``OOBTree`` so that a container of
50,000 clients loads only the buckets a request touches, never the whole
mapping.  Children learn their ``__parent__`` and ``__name__`` on insertion,
which is all Pyramid traversal and ``request.resource_url`` need.
"""
import secrets

from BTrees.Length import Length
from BTrees.OOBTree import OOBTree
from persistent import Persistent


def new_id(nbytes=9):
    """An opaque, unguessable URL segment.

    Ids carry no names and no sequence: a URL in a family computer's history
    says nothing about who the child is, and ids cannot be enumerated.
    """
    return secrets.token_urlsafe(nbytes).replace('-', 'x').replace('_', 'y')


class Folder(Persistent):
    """An ordered-by-key container of persistent children."""

    __parent__ = None
    __name__ = None

    def __init__(self):
        self._items = OOBTree()
        self._count = Length()

    def __getitem__(self, name):
        return self._items[name]

    def get(self, name, default=None):
        return self._items.get(name, default)

    def __contains__(self, name):
        return name in self._items

    def __len__(self):
        return self._count()

    def keys(self, min=None, max=None):
        return self._items.keys(min, max)

    def values(self, min=None, max=None):
        return self._items.values(min, max)

    def items(self, min=None, max=None):
        return self._items.items(min, max)

    def add(self, obj, name=None):
        """Insert ``obj`` under ``name`` (a fresh opaque id by default)."""
        if name is None:
            name = new_id()
            while name in self._items:  # pragma: no cover - 72 random bits
                name = new_id()
        if name in self._items:
            raise KeyError('%r already exists' % name)
        obj.__parent__ = self
        obj.__name__ = name
        self._items[name] = obj
        self._count.change(1)
        return name

    def remove(self, name):
        obj = self._items.pop(name)
        self._count.change(-1)
        obj.__parent__ = None
        return obj
