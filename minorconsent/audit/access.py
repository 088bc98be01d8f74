"""An audit entry for every view of the clinic, by construction.

A view deriver wraps every view registered on the clinic's route, outside
the permission check, so each call is recorded whoever made it and however
it ended: its action (``GET Client.index``), the client whose file it
touched, the path below that client (opaque ids only), who (user id and
role), from where (IP address) and the outcome (status, or ``denied``).

Reads go to the recorder's buffer (group commit).  Unsafe requests put
their entry in the transaction of the write, so an acknowledged change has
its entry; if that transaction does not commit (a rejected form, a conflict
retried), the entry still reaches the chain through the buffer, marked
with the outcome.
"""
from pyramid.httpexceptions import HTTPException, HTTPForbidden
from pyramid_zodbconn import get_connection

from minorconsent.site import ROUTE

from .recorder import add_pending_entry, bind, describe, make_entry

SAFE_METHODS = ('GET', 'HEAD', 'OPTIONS')


def kind_of(context):
    """The record class a context is, or stands in for: a client URL the
    person may not see is recorded as the same action, real or made up
    (``clients.hidden``)."""
    return getattr(context, 'audit_kind', None) or type(context).__name__


def actor_of(request):
    identity = request.identity
    if identity is None:
        return '', ''
    return identity.userid, ' '.join(sorted(identity.user.roles))


def client_ip(request):
    return request.client_addr or ''


def bind_request(request):
    """Tell this request's transaction who acts, for model-level notes."""
    actor, role = actor_of(request)
    bind(get_connection(request), actor or 'anonymous', role, client_ip(request))


def audited_view(view, info):
    """View deriver: record each call of a clinic view."""
    if info.options.get('route_name') != ROUTE or info.exception_only:
        return view

    def audited(context, request):
        if request.exception is not None:
            return view(context, request)
        actor, role = actor_of(request)
        record, target = describe(context)
        entry = make_entry(
            '%s %s.%s' % (request.method, kind_of(context), request.view_name or 'index'),
            actor=actor or 'anonymous', role=role, record=record,
            target=target, ip=client_ip(request))
        unsafe = request.method not in SAFE_METHODS
        try:
            bind_request(request)
            response = view(context, request)
        except HTTPForbidden:
            entry['outcome'] = 'denied'
            _deliver(request, entry, transactional=False)
            raise
        except HTTPException as exc:
            entry['outcome'] = str(exc.code)
            _deliver(request, entry, transactional=False)
            raise
        except Exception as exc:
            entry['outcome'] = type(exc).__name__
            _deliver(request, entry, transactional=False)
            raise
        entry['outcome'] = str(getattr(response, 'status_int', 200))
        _deliver(request, entry, transactional=unsafe)
        return response

    return audited


def _deliver(request, entry, transactional):
    recorder = request.registry.audit_recorder
    if not transactional:
        request.add_finished_callback(lambda request: recorder.add(entry))
        return
    jar = get_connection(request)
    pending = add_pending_entry(jar, entry)

    def fallback(request):
        # Not committed with a write (rejected, vetoed, retried): keep the
        # attempt on the chain anyway, through the buffer.
        if not pending.written:
            entry['outcome'] = (entry['outcome'] + ' not-committed').strip()
            recorder.add(entry)
    request.add_finished_callback(fallback)
