"""Staff pages of closing a case, reopening it, and the closed cases list
(the rules are in ``closing``)."""
from datetime import date

from minorconsent.site.messages import redirect
from minorconsent.site.views import clinic_view

from . import Clients
from .closing import CaseClosingError, close_case, reopen_case
from .model import Client
from .schemas import CloseCaseSchema
from .views import ClientForm


@clinic_view(context=Client, name='close', permission='edit-clinical',
             renderer='templates/form_page.pt')
class CaseClose(ClientForm):
    heading = 'Close the case'
    schema = CloseCaseSchema()
    buttons = ('close case',)

    def appstruct(self):
        return {'last_service': date.today()}

    def close_case_success(self, values):
        request, client = self.request, self.context
        try:
            close_case(request.clinic, client, values['last_service'], values['reason'],
                       request.authenticated_userid)
        except CaseClosingError as exc:
            return self.fail('last_service', str(exc))
        return redirect(request, request.clinic_url(client), 'case-closed')


@clinic_view(context=Client, name='reopen', permission='edit-clinical', request_method='POST')
def case_reopen(request):
    client = request.context
    try:
        reopen_case(request.clinic, client, request.authenticated_userid)
    except CaseClosingError:
        pass            # already open: nothing to do
    return redirect(request, request.clinic_url(client), 'case-reopened')


@clinic_view(context=Clients, name='closed', permission='list-clients',
             renderer='templates/closed_list.pt')
def closed_cases(request):
    clients = request.context
    ids = clients.index.closed_for_staff([request.identity.userid])
    return {'clients': [clients[cid] for cid in ids]}
