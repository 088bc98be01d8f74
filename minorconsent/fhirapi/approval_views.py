"""The privacy officer's page of API clients awaiting approval
(``/api-client-approvals``, issue 19 review finding 1).

Why a second person: the admin registers API clients but must never see a
client record, and a client with every scope reads every child's.  A
client the admin registers is refused at the token endpoint until the
privacy officer approves it here, having compared its name, scopes and key
fingerprints with what the integration engineer says they sent.  Refusing
keeps the client on the admin's list as refused (the admin may delete it);
neither decision can be undone here (a new registration is approved anew).

Thin: the rule (pending only; never by the person who registered it) is
``clients.ApiClients.decide``, which notes the decision on the audit trail
with ids only.  ``read-whole-audit`` is the privacy officer's permission
alone (``site.model.Clinic.__acl__``); every other role gets the answer a
made-up URL gets (``site.views.forbidden``).
"""

from minorconsent.site import Clinic
from minorconsent.site.clock import utcnow
from minorconsent.site.messages import redirect
from minorconsent.site.views import clinic_view

from .clients import api_clients
from .keys import fingerprints

APPROVALS = 'api-client-approvals'
DECISIONS = {'approve': True, 'refuse': False}


def registered_by(clinic, user_id):
    """Who registered a client, as the privacy officer knows staff: name
    and address of the account (or its id, once the account is gone)."""
    users = clinic.get('users')
    user = users.get(user_id) if users is not None and user_id else None
    if user is None:
        return user_id or 'unknown'
    return '%s <%s>' % (user.display_name, user.email)


def pending_rows(clinic, store):
    if store is None:
        return []
    return [{'id': c.client_id, 'name': c.name, 'scopes': c.scopes,
             'keys': fingerprints(c.jwks), 'created': c.created,
             'created_by': registered_by(clinic, c.created_by)}
            for c in store.pending()]


@clinic_view(context=Clinic, name=APPROVALS, permission='read-whole-audit',
             renderer='templates/admin_api_client_approvals.pt')
def approvals_page(context, request):
    """GET: the clients awaiting approval.  POST: approve or refuse one."""
    store = api_clients(context)
    problem = ''
    if request.method == 'POST':
        decision = DECISIONS.get(request.POST.get('action'))
        client_id = request.POST.get('client_id', '')
        try:
            if store is None or decision is None:
                raise ValueError('There is no such decision to make.')
            store.decide(client_id, decision, by=request.authenticated_userid, now=utcnow())
        except ValueError as exc:
            problem = str(exc)
            request.response.status = 400
        else:
            return redirect(request, request.clinic_url(context, APPROVALS), 'saved')
    return {'clients': pending_rows(context, store), 'problem': problem,
            'evolve_needed': store is None}
