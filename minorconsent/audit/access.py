"""An audit entry for every view of the clinic, by construction.

A view deriver wraps every view registered on the clinic's route, outside
the permission check, so each call is recorded whoever made it and however
it ended: its action (``GET Client.index``), the client whose file it
touched, the path below that client (opaque ids only), who (user id and
role), from where (IP address) and the outcome (status, or ``denied``).

Reads go to the recorder's buffer (group commit) as plain tuples: the
sealer formats their time and sorts the roles, off the request's path.
Unsafe requests put their entry in the transaction of the write, so an
acknowledged change has its entry; if that transaction does not commit (a
rejected form, a conflict retried), the entry still reaches the chain
through the buffer, marked with the outcome.
"""
from pyramid.httpexceptions import HTTPException, HTTPForbidden
from pyramid_zodbconn import get_connection

from minorconsent.site import ROUTE

from .recorder import (add_pending_entry, bind, describe, utc_now, view_entry,
                       view_item)

SAFE_METHODS = ('GET', 'HEAD', 'OPTIONS')


def kind_of(context):
    """The record class a context is, or stands in for: a client URL the
    person may not see is recorded as the same action, real or made up
    (``clients.hidden``)."""
    return getattr(context, 'audit_kind', None) or type(context).__name__


def actor_of(request):
    """``(user id, global roles)`` of who asks, ``('', ())`` if nobody is
    signed in.  The roles stay a tuple as the user holds them: the entry
    sorts and joins them when it is written (``recorder.view_entry``)."""
    identity = request.identity
    if identity is None:
        return '', ()
    roles = identity.user.roles
    return identity.userid, roles if type(roles) is tuple else tuple(roles)


def client_ip(request):
    return request.client_addr or ''


def audited_view(view, info):
    """View deriver: record each call of a clinic view."""
    if info.options.get('route_name') != ROUTE or info.exception_only:
        return view

    def audited(context, request):
        if request.exception is not None:
            return view(context, request)
        actor, roles = actor_of(request)
        actor = actor or 'anonymous'
        record, target = describe(context)
        at = utc_now()
        action = '%s %s.%s' % (request.method, kind_of(context), request.view_name or 'index')
        ip = client_ip(request)
        unsafe = request.method not in SAFE_METHODS
        try:
            # Who acts, for the entries model code notes in this transaction.
            bind(get_connection(request), actor, roles, ip)
            response = view(context, request)
        except HTTPForbidden:
            _deliver(request, view_item(at, action, actor, roles, record, target, ip,
                                        'denied'), transactional=False)
            raise
        except HTTPException as exc:
            _deliver(request, view_item(at, action, actor, roles, record, target, ip,
                                        str(exc.code)), transactional=False)
            raise
        except Exception as exc:
            _deliver(request, view_item(at, action, actor, roles, record, target, ip,
                                        type(exc).__name__), transactional=False)
            raise
        _deliver(request, view_item(at, action, actor, roles, record, target, ip,
                                    str(getattr(response, 'status_int', 200))),
                 transactional=unsafe)
        return response

    return audited


def _deliver(request, item, transactional):
    """A read's ``item`` goes to the buffer as it is, when the request is
    done (the sealer makes its entry); an unsafe request's entry goes into
    its own transaction, made now."""
    recorder = request.registry.audit_recorder
    if not transactional:
        request.add_finished_callback(lambda request: recorder.add(item))
        return
    entry = view_entry(item)
    jar = get_connection(request)
    pending = add_pending_entry(jar, entry)

    def fallback(request):
        # Not committed with a write (rejected, vetoed, retried): keep the
        # attempt on the chain anyway, through the buffer.
        if not pending.written:
            entry['outcome'] = (entry['outcome'] + ' not-committed').strip()
            recorder.add(entry)
    request.add_finished_callback(fallback)
