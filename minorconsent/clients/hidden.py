"""A client you may not see, and a client that does not exist, are one thing.

The answer to both was already the same page; the way to it was not.  A
real client id went through traversal to the record, through the view's
audit entry and its permission check, and then to the not-found page; a
made-up one stopped at traversal.  The real one took 25-90 µs longer, and a
patient visitor could tell (issue 14, item 7).

So the choice is made before traversal reaches any record, from the path
alone and the one fact every client URL has to be asked anyway: does this
person hold a role on this client (``Client.roles_of``, a question whose
cost does not depend on who is linked; a made-up id asks it of an empty
stand-in).  Whoever holds none, for a real id or a made-up one, is sent
down the same road: a chain of placeholders built from the path, each an
instance of the record class its place would hold (a client, a goal, a
summary ...) with an ACL of ``DENY_ALL``.  The view registered for that
class is found, the audit deriver records the call as a denied probe
exactly as it would for the record, the permission check refuses, and the
forbidden view draws the not-found page.  Nothing of the real record is
read on that road.

Only ids are treated so: a path segment shaped like one
(``site.folder.new_id``: twelve letters and digits).  Anything else cannot
be a client, and answers not found from its shape alone, as before.  For a
person who may enter the client, a made-up record id below it (a summary,
an agreement ...) takes the same placeholder road from there on, so it is
refused and recorded as a record they may not see would be.

Rooms above this one say what their containers under a client hold
(``config.add_client_container('summaries', Summary)``), so the road to
``/clients/<id>/summaries/<id>/summary.pdf`` is the road the real summary's
PDF takes.

The road is also where a per-address budget is spent (``client-probe`` in
``security/ratelimit.py``): past it, every such URL, real or made up,
answers 429.  See docs/SECURITY.md.
"""
import re
from datetime import date

from pyramid.authorization import DENY_ALL
from pyramid.httpexceptions import HTTPForbidden
from pyramid.interfaces import VH_ROOT_KEY
from pyramid.traversal import (ResourceTreeTraverser, decode_path_info,
                               split_path_info)
from pyramid.util import is_nonstr_iter

from minorconsent.site.folder import Folder

from .model import Client

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


#: Asked in place of a client that does not exist: it has the shape of
#: one (no therapists, no guardians, no account), so the question costs
#: what it costs of a real client for someone it does not name.
_STAND_IN = Client('', '', date(2000, 1, 1))


def may_enter(request, client):
    """Does the person making ``request`` hold any role on ``client``
    (None: a made-up id, asked of the stand-in)?"""
    identity = request.identity
    if identity is None:
        return False
    clinic = request.clinic
    held = (client if client is not None else _STAND_IN).roles_of(
        identity.user, clinic['users'], clinic.settings)
    return bool(held) and client is not None


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


def hidden_road(containers, clients, segments):
    """The traversal result of ``segments`` (``clients``, an id, ...)
    through placeholders only, shaped as the real tree would shape it."""
    return _walk(containers, placeholder(Client, segments[1], clients), segments, 2)


def _walk(containers, context, segments, position):
    """Go on from ``context`` at ``segments[position]`` through placeholders."""
    for position in range(position, len(segments)):
        segment, rest, before = segments[position], segments[position + 1:], segments[:position]
        if segment[:2] == '@@':
            return _found(context, segment[2:], rest, before)
        kind = context.audit_kind
        if kind == 'Client' and segment in containers:
            context = placeholder(Folder, segment, context)
        elif kind == 'Folder' and looks_like_id(segment):
            context = placeholder(containers[context.__name__], segment, context)
        else:
            return _found(context, segment, rest, before)
    return _found(context, '', (), segments)


def missing_record(containers, found):
    """Inside a client the person may enter, a made-up record id in one of
    its containers (``/clients/<id>/summaries/<made-up>/...``) takes the
    placeholder road too: refused and recorded like a record they may not
    see, instead of an unrecorded plain not found."""
    container, name = found['context'], found['view_name']
    if not (type(container) is Folder and isinstance(container.__parent__, Client)
            and container.__name__ in containers and looks_like_id(name)):
        return found
    segments = tuple(found['traversed']) + (name,) + tuple(found['subpath'])
    item = placeholder(containers[container.__name__], name, container)
    return _walk(containers, item, segments, len(found['traversed']) + 1)


def _found(context, view_name, subpath, traversed):
    root = context
    while root.__parent__ is not None:
        root = root.__parent__
    return {'context': context, 'view_name': view_name, 'subpath': tuple(subpath),
            'traversed': tuple(traversed), 'virtual_root': root,
            'virtual_root_path': (), 'root': root}


class TooManyProbes(Exception):
    """An address past its budget of client URLs it may not see."""

    def __init__(self, wait):
        super().__init__(wait)
        self.wait = wait


class ClinicTraverser:
    """The clinic's traverser: Pyramid's, with the gate in front of
    ``/clients/<id>``."""

    def __init__(self, root):
        self.root = root
        self.traverse = ResourceTreeTraverser(root)

    def __call__(self, request):
        segments = requested_path(request)
        if len(segments) > 1 and segments[0] == 'clients' and looks_like_id(segments[1]):
            clients = self.root.get('clients')
            if clients is not None:
                client = clients.get(segments[1])
                if not may_enter(request, client):
                    spend_probe_budget(request)
                    return hidden_road(request.registry.client_containers, clients,
                                       segments)
                return missing_record(request.registry.client_containers,
                                      self.traverse(request))
        return self.traverse(request)


def spend_probe_budget(request):
    from minorconsent.security.ratelimit import check
    wait = check(request, 'client-probe')
    if wait:
        raise TooManyProbes(wait)


def too_many_probes(exc, request):
    """Past the budget: 429 for every client URL the address may not see,
    real or made up.  At most one entry a minute per address goes on the
    trail, so a flood cannot grow it (docs/SECURITY.md)."""
    from minorconsent.security.ratelimit import check, limited_page, note_limited
    if not check(request, 'client-probe-noted'):
        note_limited(request, 'client-probe')
    return limited_page(request, exc.wait)


def never_served(view, info):
    """View deriver, inside the permission check: a placeholder is never
    handed to a view, whatever permission a view names (belt and braces:
    its ``DENY_ALL`` already refuses)."""
    from minorconsent.site import ROUTE
    if info.options.get('route_name') != ROUTE or info.exception_only:
        return view

    def guarded(context, request):
        if isinstance(context, Hidden):
            raise HTTPForbidden()
        return view(context, request)
    return guarded


def add_client_container(config, name, item_class):
    """Declare that a client's ``name`` folder holds ``item_class``
    records, so a placeholder path through it has their shape."""
    config.registry.client_containers[name] = item_class


def includeme(config):
    from minorconsent.site import ROUTE, Clinic
    config.registry.client_containers = {}
    config.add_directive('add_client_container', add_client_container)
    config.add_traverser(ClinicTraverser, Clinic)
    config.add_view_deriver(never_served, 'minorconsent_never_served',
                            under='secured_view', over='csrf_view')
    config.add_exception_view(too_many_probes, context=TooManyProbes, route_name=ROUTE)
