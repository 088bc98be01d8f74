"""The admin's pages for API clients: the list (disable, enable, delete at
once) and the registration form.  A client registered here awaits the
privacy officer's approval (``approval_views``) before it gets a token:
the admin, who never sees a client record, cannot give a system of their
own every child's.

Thin: the rules are in ``clients`` (which notes every change on the audit
trail, ids only) and ``keys``.  ``administer`` only: every other role gets
the answer a made-up URL gets (``site.views.forbidden``), and the registry
is no part of the traversable tree, so no URL names a client.
"""
from minorconsent.site import Clinic
from minorconsent.site.clock import utcnow
from minorconsent.site.forms import FormView, button
from minorconsent.site.messages import redirect
from minorconsent.site.views import clinic_view

from .admin_schemas import RegisterClientSchema
from .clients import APPROVED, PENDING, REFUSED, api_clients
from .keys import MAX_JWKS_BYTES, KeySetError
from .smart import token_url

LIST = 'api-clients'
ADD = 'api-client-add'
ACTIONS = ('disable', 'enable', 'delete')
#: What the list says of the privacy officer's decision (``approval_views``).
APPROVAL_WORDS = {PENDING: "Awaiting the privacy officer's approval",
                  APPROVED: 'Approved', REFUSED: 'Refused by the privacy officer'}


def rows(store):
    """What the list shows of each client (no key material but the kids)."""
    if store is None:
        return []
    return [{'id': c.client_id, 'name': c.name, 'scopes': c.scopes, 'kids': c.key_ids(),
             'enabled': c.enabled, 'approval': APPROVAL_WORDS[c.approval],
             'created': c.created, 'created_by': c.created_by}
            for c in store.values()]


@clinic_view(context=Clinic, name=LIST, permission='administer',
             renderer='templates/admin_api_clients.pt')
def api_clients_page(context, request):
    """GET: the list.  POST: one action on one client, at once."""
    store = api_clients(context)
    problem = ''
    if request.method == 'POST':
        action = request.POST.get('action')
        client_id = request.POST.get('client_id', '')
        if store is None or action not in ACTIONS or store.get(client_id) is None:
            problem = 'There is no such API client (it may have been deleted already).'
            request.response.status = 400
        else:
            if action == 'delete':
                store.delete(client_id)
            else:
                store.set_enabled(client_id, action == 'enable')
            return redirect(request, request.clinic_url(context, LIST), 'saved')
    return {'clients': rows(store), 'problem': problem, 'evolve_needed': store is None,
            'token_url': token_url(request),
            'discovery_url': request.registry.public_site.link(
                '.well-known', 'smart-configuration'),
            'add_url': request.clinic_url(context, ADD)}


@clinic_view(context=Clinic, name=ADD, permission='administer',
             renderer='templates/admin_api_client_add.pt')
class RegisterApiClient(FormView):
    schema = RegisterClientSchema()
    buttons = (button('register', 'Register'),)

    def page(self):
        return {'list_url': self.request.clinic_url(self.context, LIST)}

    def register_success(self, values):
        store = api_clients(self.context)
        if store is None:
            return self.fail('name', 'The database needs updating: run minorconsent-evolve.')
        field, text = 'jwks', values['jwks']
        if values.get('jwks_file'):
            field, text = 'jwks_file', values['jwks_file']['fp'].read(MAX_JWKS_BYTES + 1)
        try:
            store.register(values['name'], text, tuple(sorted(values['scopes'])),
                           now=utcnow(), by=self.request.authenticated_userid)
        except KeySetError as exc:
            return self.fail(field, str(exc))
        except ValueError as exc:
            return self.fail('name', str(exc))
        return redirect(self.request, self.request.clinic_url(self.context, LIST), 'saved')
