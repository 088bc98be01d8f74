"""A record you may not see, and one that does not exist, take one road.

The machinery under every "not acknowledged" place of the tree (a client's
file, ``clients/hidden.py``; an account, ``accounts/hidden.py``): the
clinic's traverser asks the place's *gate*, before any record is read,
whether this request goes down the real tree or down the placeholder road.
On that road every segment is a placeholder (``placeholder``): an instance
of the record class its place would hold, with an ACL of ``DENY_ALL``.
The view registered for that class is found, the audit deriver records the
call as a denied probe exactly as it would for the record, the permission
check refuses, and the forbidden view draws the not-found page; nothing of
the real record is read, so a real id and a made-up one cost the same.

The road is where a per-address budget is spent (``spend_probe_budget``;
the security room sets the budget, with the limits of
``security/ratelimit.py``, through ``config.set_probe_budget``): past it, every such URL, real
or made up, answers 429, and at most one entry a minute per address goes
on the trail, so a flood cannot grow the audit database.

Rooms register their gate with ``config.add_hidden_gate(segment, gate)``:
``gate(request, folder, segments, traverse)`` gets the folder under the
clinic named ``segment``, the path's segments and the ordinary traverser,
and returns a traversal result (a dict, as Pyramid's traverser does).
"""
import re

from pyramid.authorization import DENY_ALL
from pyramid.httpexceptions import HTTPForbidden
from pyramid.interfaces import VH_ROOT_KEY
from pyramid.traversal import (ResourceTreeTraverser, decode_path_info, find_root,
                                split_path_info)
from pyramid.util import is_nonstr_iter

from .model import Clinic
from .route import ROUTE

#: ``site.folder.new_id``: nine random bytes, URL-safe, '-' and '_' replaced.
ID_SHAPE = re.compile(r'[A-Za-z0-9]{12}\Z')


def looks_like_id(name):
    return ID_SHAPE.match(name) is not None


class Hidden:
    """A placeholder in the tree: a name, a parent and an ACL that refuses
    everything.  Mixed in before a record class, so the record's views
    match it; ``audit_kind`` is the record class's name, for the trail."""

    __acl__ = [DENY_ALL]
    audit_kind = None

    def __init__(self, name, parent):
        self.__name__ = name
        self.__parent__ = parent

    def __repr__(self):
        return '<hidden %s>' % self.audit_kind


_PLACEHOLDERS = {}


def placeholder(cls, name, parent):
    """A placeholder standing where an instance of ``cls`` would."""
    kind = _PLACEHOLDERS.get(cls)
    if kind is None:
        kind = _PLACEHOLDERS[cls] = type('Hidden' + cls.__name__, (Hidden, cls), {
            '__module__': __name__, 'audit_kind': cls.__name__})
    return kind(name, parent)


def is_hidden(context):
    return isinstance(context, Hidden)


def requested_path(request):
    """The segments traversal would walk, worked out as Pyramid's
    ``ResourceTreeTraverser`` does (the route's ``*traverse``, a virtual
    root header in front)."""
    matchdict = request.matchdict
    if matchdict is not None:
        path = matchdict.get('traverse', '/') or '/'
        if is_nonstr_iter(path):
            path = '/' + '/'.join(path)
    else:
        path = request.path_info or '/'
    vroot = request.environ.get(VH_ROOT_KEY)
    if vroot:
        path = decode_path_info(vroot) + path
    return split_path_info(path)


def found(context, view_name, subpath, traversed):
    """A traversal result, as Pyramid's traverser returns it."""
    root = find_root(context)
    return {'context': context, 'view_name': view_name, 'subpath': tuple(subpath),
            'traversed': tuple(traversed), 'virtual_root': root,
            'virtual_root_path': (), 'root': root}


class TooManyProbes(Exception):
    """An address past its budget (``limit``) of URLs it may not see."""

    def __init__(self, wait, limit='client-probe'):
        super().__init__(wait)
        self.wait = wait
        self.limit = limit


class ClinicTraverser:
    """The clinic's traverser: Pyramid's, with the rooms' gates in front."""

    def __init__(self, root):
        self.root = root
        self.traverse = ResourceTreeTraverser(root)

    def __call__(self, request):
        segments = requested_path(request)
        if len(segments) > 1 and looks_like_id(segments[1]):
            gate = request.registry.hidden_gates.get(segments[0])
            folder = self.root.get(segments[0]) if gate is not None else None
            if folder is not None:
                return gate(request, folder, segments, self.traverse)
        return self.traverse(request)


class NoProbeBudget:
    """The road without a budget: every probe may go on.  The security
    room sets the clinic's (``security/ratelimit.py``, ``ProbeBudget``)
    with ``config.set_probe_budget``; the road only asks it."""

    def spend(self, request, limit):
        """0 if the request may go on at ``limit``, else seconds to wait."""
        return 0

    def refuse(self, request, limit, wait):
        """The answer to a request past its budget."""
        raise NotImplementedError('no probe budget is set')


def spend_probe_budget(request, limit='client-probe'):
    wait = request.registry.probe_budget.spend(request, limit)
    if wait:
        raise TooManyProbes(wait, limit)


def too_many_probes(exc, request):
    """Past the budget: 429 for every such URL, real or made up, with at
    most one entry a minute per address on the trail, so a flood cannot
    grow it (docs/SECURITY.md); the budget draws the answer."""
    return request.registry.probe_budget.refuse(request, exc.limit, exc.wait)


def never_served(view, info):
    """View deriver, inside the permission check: a placeholder is never
    handed to a view, whatever permission a view names (belt and braces:
    its ``DENY_ALL`` already refuses)."""
    if info.options.get('route_name') != ROUTE or info.exception_only:
        return view

    def guarded(context, request):
        if isinstance(context, Hidden):
            raise HTTPForbidden()
        return view(context, request)
    return guarded


def add_hidden_gate(config, segment, gate):
    config.registry.hidden_gates[segment] = gate


def set_probe_budget(config, budget):
    """Config directive: the road's budget (``NoProbeBudget``'s methods)."""
    config.registry.probe_budget = budget


def includeme(config):
    config.registry.hidden_gates = {}
    config.registry.probe_budget = NoProbeBudget()
    config.add_directive('add_hidden_gate', add_hidden_gate)
    config.add_directive('set_probe_budget', set_probe_budget)
    config.add_traverser(ClinicTraverser, Clinic)
    config.add_view_deriver(never_served, 'minorconsent_never_served',
                            under='secured_view', over='csrf_view')
    config.add_exception_view(too_many_probes, context=TooManyProbes, route_name=ROUTE)
