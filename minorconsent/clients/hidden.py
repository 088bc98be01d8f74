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
from datetime import date

from minorconsent.site.folder import Folder
# The road itself is the site's (``site/hidden.py``); these names stay here
# for the rooms and tests that import them from the clients room.
from minorconsent.site.hidden import (  # noqa: F401
    ID_SHAPE, Hidden, TooManyProbes, found as _found, is_hidden, looks_like_id,
    never_served, placeholder, requested_path, spend_probe_budget, too_many_probes)

from .model import Client


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


def client_gate(request, clients, segments, traverse):
    """The gate in front of ``/clients/<id>``: whoever holds no role on the
    client, real or made up, takes the placeholder road (and spends the
    ``client-probe`` budget)."""
    client = clients.get(segments[1])
    if not may_enter(request, client):
        spend_probe_budget(request, 'client-probe')
        return hidden_road(request.registry.client_containers, clients, segments)
    return missing_record(request.registry.client_containers, traverse(request))


def add_client_container(config, name, item_class):
    """Declare that a client's ``name`` folder holds ``item_class``
    records, so a placeholder path through it has their shape."""
    config.registry.client_containers[name] = item_class


def includeme(config):
    config.registry.client_containers = {}
    config.add_directive('add_client_container', add_client_container)
    config.add_hidden_gate('clients', client_gate)
