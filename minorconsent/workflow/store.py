"""The clinic's workflow definitions and their versions, in ZODB.

Each workflow keeps every published version as its TOML source, immutable
once published, plus at most one draft being edited.  The files in
``workflows/`` become version 1 of a new database.  Objects record the
version they run under, so a published change never alters the meaning of
an object's past.
"""
import hashlib
from itertools import islice

from BTrees.IOBTree import IOBTree
from BTrees.Length import Length
from BTrees.OOBTree import OOBTree, OOTreeSet
from persistent import Persistent

from minorconsent.site.folder import Folder

from .definition import loads

_parsed = {}


def parse_cached(source, version):
    """Parse a version's source once per process."""
    key = (hashlib.sha256(source.encode('utf-8')).hexdigest(), version)
    workflow = _parsed.get(key)
    if workflow is None:
        workflow = _parsed[key] = loads(source, version)
    return workflow


class WorkflowRecord(Persistent):
    """One workflow: its published versions, the current one, and an index
    of the objects running under it by ``(version, state)``, so publishing
    and migration never search the database for them."""

    draft = None

    def __init__(self, source):
        self.versions = IOBTree()
        self.versions[1] = source
        self.current = 1
        self.members = OOBTree()      # workflow_key -> object
        self.by_state = OOBTree()     # (version, state) -> OOTreeSet of keys
        self.counts = OOBTree()       # (version, state) -> Length

    # --- the index of objects in flight ----------------------------------

    def enter(self, obj):
        """Index ``obj`` under its current version and state."""
        self.members[obj.workflow_key] = obj
        place = (obj.workflow_version, obj.state)
        keys = self.by_state.get(place)
        if keys is None:
            keys = self.by_state[place] = OOTreeSet()
            self.counts[place] = Length()
        if keys.add(obj.workflow_key):
            self.counts[place].change(1)

    def leave(self, obj):
        place = (obj.workflow_version, obj.state)
        keys = self.by_state.get(place)
        if keys is not None and obj.workflow_key in keys:
            keys.remove(obj.workflow_key)
            self.counts[place].change(-1)

    def forget(self, obj):
        """Drop ``obj`` from the index for good (its record was erased at
        the end of retention): ``members`` would otherwise keep it, and
        everything below its client, reachable and in the database."""
        self.leave(obj)
        self.members.pop(obj.workflow_key, None)

    def population(self):
        """``{(version, state): count}`` of the places that hold objects."""
        return {place: n() for place, n in self.counts.items() if n()}

    def keys_in(self, version, state, limit=None):
        return list(islice(self.by_state.get((version, state), ()), limit))

    def members_in(self, states):
        """The objects now in any of ``states`` (ids), under every version:
        what the daily job walks (waiting agreements, ones in force)
        instead of every client."""
        for (version, state), keys in list(self.by_state.items()):
            if state in states:
                for key in list(keys):
                    obj = self.members.get(key)
                    if obj is not None:
                        yield obj

    def definition(self, version=None):
        """The parsed definition of ``version`` (default: the current one).

        Every permission check asks for it, so the parsed versions are also
        kept on the record itself (a volatile attribute: a published version
        never changes, and the cache goes when the record leaves memory),
        sparing ``parse_cached`` the hashing of the source each time."""
        version = self.current if version is None else version
        parsed = getattr(self, '_v_parsed', None)
        if parsed is None:
            parsed = self._v_parsed = {}
        workflow = parsed.get(version)
        if workflow is None:
            workflow = parsed[version] = parse_cached(self.versions[version], version)
        return workflow

    def publish(self, source):
        """Add ``source`` as the next version and make it current."""
        version = self.versions.maxKey() + 1
        self.versions[version] = source
        self.current = version
        self.draft = None
        return version


class WorkflowStore(Folder):
    """``clinic['workflows']``: records by workflow id."""

    def members_in(self, states, content_types=None):
        """``WorkflowRecord.members_in`` over every workflow (of
        ``content_types`` only, when given)."""
        for record in list(self.values()):
            if content_types is None or record.definition().content_type in content_types:
                yield from record.members_in(states)

    def for_content_type(self, content_type):
        for record in self.values():
            if record.definition().content_type == content_type:
                return record
        raise KeyError(content_type)
