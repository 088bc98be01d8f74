"""The to-do page (the landing page of therapists and supervisors) and
the notice preferences page.

Staff only: anyone else gets the answer of any page they may not see (a
sign-in redirect for the signed-out, the nonexistent page for the rest).
The admin's page has numbers only (``model.clinic_counts``): no client
name, id or link is in what it renders.
"""
from datetime import date

from pyramid.httpexceptions import HTTPForbidden

from minorconsent.site.forms import FormView
from minorconsent.site.messages import redirect
from minorconsent.site.model import Clinic
from minorconsent.site.views import clinic_view

from .model import clinic_counts, worklist_for
from .notices import store_of
from .schemas import NoticePreferenceSchema

#: Who has a to-do list of clients (the admin: counts only).
CASELOAD_ROLES = ('therapist', 'supervisor')


def _staff(request, roles):
    user = request.identity.user
    if not any(user.has_role(role) for role in roles):
        raise HTTPForbidden()
    return user


@clinic_view(context=Clinic, name='todo', permission='signed-in', request_method='GET',
             renderer='templates/todo.pt')
def todo(request):
    user = _staff(request, CASELOAD_ROLES + ('admin',))
    clinic, today = request.clinic, date.today()
    if not any(user.has_role(role) for role in CASELOAD_ROLES):
        return {'counts': clinic_counts(clinic, today, request.registry), 'worklist': None,
                'new': ()}
    store = store_of(clinic)
    notices = store.of(user.__name__)
    new = tuple(reversed(notices.unseen())) if notices is not None else ()
    if new:
        notices.mark_seen()
    return {'counts': None, 'worklist': worklist_for(clinic, user, today, request.registry),
            'new': new,
            'client_url': lambda cid: request.clinic_url(clinic['clients'], cid),
            'preferences_url': request.clinic_url(clinic, 'notice-preferences')}


@clinic_view(context=Clinic, name='notice-preferences', permission='signed-in',
             renderer='templates/preferences.pt')
class NoticePreferences(FormView):
    schema = NoticePreferenceSchema()
    buttons = ('save',)

    def before(self):
        _staff(self.request, CASELOAD_ROLES)

    def appstruct(self):
        return {'delivery': store_of(self.request.clinic).preference(
            self.request.identity.userid)}

    def save_success(self, values):
        store_of(self.request.clinic).set_preference(self.request.identity.userid,
                                                     values['delivery'])
        return redirect(self.request, self.request.clinic_url(self.request.clinic, 'todo'),
                        'saved')
