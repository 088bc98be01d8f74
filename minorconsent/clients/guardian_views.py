"""Staff pages of a client's guardians: linking one (an existing account,
or a new guardian account that signs in once invited), editing a link with
the guardian's contact preferences, and ending it."""
from pyramid.traversal import find_interface

from minorconsent.accounts import User
from minorconsent.site.messages import redirect
from minorconsent.site.views import clinic_view

from .model import Client, GuardianLink
from .revision import StaleEdit
from .rules import edit_guardian_link, link_guardian, unlink_guardian
from .schemas import ContactSchema, GuardianLinkSchema, NewGuardianSchema
from .views import ClientForm, RecordEdit, contact_version, yes_no


@clinic_view(context=Client, name='add-guardian', permission='edit-clinical',
             renderer='templates/form_page.pt')
class GuardianAdd(ClientForm):
    """Link a guardian by email: an existing account is linked, otherwise a
    guardian account is created (it signs in once invited)."""
    heading = 'Link a guardian'
    schema = NewGuardianSchema()
    buttons = ('link guardian',)

    def link_guardian_success(self, values):
        clinic, client = self.request.clinic, self.context
        users = clinic['users']
        guardian = users.find_by_email(values['email'])
        if guardian is None:
            guardian = User(values['email'], values['display_name'], ['guardian'])
            users.add_user(guardian)
        try:
            link_guardian(clinic, client, guardian, values['relationship'],
                          values['legal_authority'], values['restricted'],
                          values['restriction_note'], self.request.authenticated_userid,
                          language=values['language'] or None)
        except ValueError as exc:
            return self.fail('email', str(exc))
        return redirect(self.request, self.request.clinic_url(client), 'guardian-linked')


@clinic_view(context=GuardianLink, name='edit', permission='edit-clinical',
             renderer='templates/form_page.pt')
class GuardianEdit(RecordEdit):
    heading = 'Guardian link and contact preferences'

    def edit_schema(self):
        schema = GuardianLinkSchema()
        for node in ContactSchema().children:
            schema.add(node.clone())
        return schema

    def current_values(self):
        link = self.context
        values = {key: getattr(link, key) for key in
                  ('relationship', 'legal_authority', 'restricted', 'restriction_note')}
        values.update(link.contact.as_dict())
        return values

    def save_success(self, values):
        link, client = self.context, self.client()
        revision = values.pop('revision')
        try:
            edit_guardian_link(self.request.clinic, client, link, revision, values,
                               self.request.authenticated_userid)
        except StaleEdit as exc:
            current = [('Relationship to the client', link.relationship_title),
                       ('Holds legal authority to consent', yes_no(link.legal_authority)),
                       ('Access restricted (court order)', yes_no(link.restricted)),
                       ('Reason for restriction (internal)', link.restriction_note)]
            return self.stale(exc, values, current + contact_version(link.contact))
        return redirect(self.request, self.request.clinic_url(client), 'saved')


@clinic_view(context=GuardianLink, name='remove', permission='edit-clinical',
             request_method='POST')
def guardian_remove(request):
    link = request.context
    client = find_interface(link, Client)
    unlink_guardian(request.clinic, client, link.guardian_id, request.authenticated_userid)
    return redirect(request, request.clinic_url(client), 'guardian-unlinked')
