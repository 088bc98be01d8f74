"""The family member's own page of contact preferences and language
(``own_contact`` holds the rule).  Reached from their account page; a
person the clinic keeps no contact record for (staff) finds nothing here,
as at any URL that is not theirs."""
from pyramid.httpexceptions import HTTPNotFound

from minorconsent.site import Clinic
from minorconsent.site.forms import FormView, button
from minorconsent.site.i18n import _
from minorconsent.site.messages import redirect
from minorconsent.site.views import clinic_view

from .own_contact import current_preferences, own_records, set_own_preferences
from .schemas import OwnContactSchema


@clinic_view(context=Clinic, name='contact-preferences', permission='signed-in',
             renderer='templates/own_contact.pt')
class OwnContactPage(FormView):
    schema = OwnContactSchema()
    buttons = (button('save', _('Save')),)

    def before(self):
        self.user = self.request.identity.user
        if not own_records(self.request.clinic, self.user):
            raise HTTPNotFound()
        return None

    def appstruct(self):
        values = current_preferences(self.request.clinic, self.user)
        values['language'] = self.user.language or self.request.locale_name
        return values

    def save_success(self, values):
        request, user = self.request, self.user
        language = values.pop('language')
        set_own_preferences(request.clinic, user, values)
        if user.language != language:
            user.language = language
        return redirect(request, request.clinic_url(request.clinic, 'contact-preferences'),
                        'saved')
