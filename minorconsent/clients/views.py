"""Staff views of clients: lists, the client page, and its forms (those
of its guardians are in ``guardian_views``).

Views stay thin: they validate with colander and call the rules in
``clients.rules``.  A client's name never goes into a URL or a page
title; name searches are POSTed so they stay out of browser history.
"""
from dataclasses import dataclass
from datetime import date

from pyramid.traversal import find_interface

from minorconsent.site import Clinic
from minorconsent.site.forms import FormView
from minorconsent.site.messages import redirect
from minorconsent.site.views import clinic_view, page_number
from minorconsent.workflow.engine import definition_of

from . import Client, Clients, Goal, Note, StaleEdit, edit_client
from .model import GOAL_STATUSES
from .closing import retained_until
from .own_account import own_account
from .revision import revision_node, revision_of
from .schemas import (ClientEditSchema, ClientSchema, ContactSchema, GoalSchema,
                      NoteSchema, split_codes, split_lines)

PAGE_SIZE = 25


def with_revision(schema):
    """``schema`` plus the hidden revision the form is built from."""
    schema.add(revision_node())
    return schema


def stale_edit(request, form, exc, values, current, heading, back):
    """The 409 page of an edit built from an old version: the message at
    the top, the record's current version, and the author's submitted
    values in the form, which now carries the current revision (so saving
    again, after copying what they need, is a deliberate overwrite).
    pyramid_tm's commit veto commits nothing on a 409."""
    request.response.status = 409
    form.appstruct = dict(values, revision=str(exc.current_revision))
    return {'form': form.render(), 'heading': heading, 'back': back,
            'conflict': {'message': exc.message, 'current': current}}


def goal_version(goal):
    """The goal as the conflict page shows it: (label, text) pairs."""
    return [('Title for guardians', goal.parent_title),
            ('Description for guardians', goal.parent_description),
            ('Clinical wording (stays in the clinic)', goal.clinical_text),
            ('Status', dict(GOAL_STATUSES).get(goal.status, goal.status))]


def client_version(client, users):
    def name(uid):
        user = users.get(uid)
        return user.display_name if user is not None else uid
    return [('First name', client.first_name), ('Last name', client.last_name),
            ('Preferred name', client.preferred_name),
            ('Date of birth', client.date_of_birth.isoformat()),
            ('Diagnosis', client.diagnosis),
            ('Diagnosis codes', ' '.join(client.diagnosis_codes)),
            ('Medications', '\n'.join(client.medications)),
            ('Who must sign', {None: 'The clinic rule', 'all': 'Every guardian with legal authority',
                               'one': 'One guardian with legal authority is enough'}.get(
                                   getattr(client, 'custody_policy', None), '')),
            ('Therapists', ', '.join(name(t) for t in client.therapist_ids)),
            ('Supervisor', name(client.supervisor_id) if client.supervisor_id
             else 'From the therapists')]


def yes_no(value):
    return 'yes' if value else 'no'


def contact_version(contact):
    return [('Email allowed', yes_no(contact.email_ok)),
            ('Text messages allowed', yes_no(contact.sms_ok)),
            ('Phone calls allowed', yes_no(contact.phone_ok)),
            ('Voicemail may be left', yes_no(contact.voicemail_ok)),
            ('Contact instructions (internal)', contact.instructions)]


def _search_terms(request):
    """Search text from a POSTed search form only (never from the URL)."""
    if request.method != 'POST':
        return ''
    return (request.POST.get('q') or '').strip()[:100]


@dataclass(frozen=True)
class ClientRow:
    """One row of a caseload list, its link made once in the view: the
    template writes plain text and never calls back into the request."""
    url: str
    last_name: str
    first_name: str
    preferred_name: str
    age: int


def _list_page(request, therapist_ids, heading):
    clients = request.clinic['clients']
    query = _search_terms(request)
    page = page_number(request)
    found, more = clients.page_for_staff(therapist_ids, query, page, PAGE_SIZE)
    today = date.today()
    rows = [ClientRow(request.clinic_url(client), client.last_name, client.first_name,
                      client.preferred_name or '', client.age(today)) for client in found]
    may_add = request.has_permission('add-client', clients)
    return {'clients': rows, 'query': query, 'page': page, 'more': more, 'heading': heading,
            'add_url': request.clinic_url(clients, 'add') if may_add else '',
            'closed_url': request.clinic_url(clients, 'closed') if may_add else ''}


@clinic_view(context=Clients, permission='list-clients',
             renderer='templates/client_list.jinja2')
def my_clients(request):
    return _list_page(request, [request.identity.userid], 'My clients')


@clinic_view(context=Clinic, name='supervision', permission='supervise',
             renderer='templates/client_list.jinja2')
def supervised_clients(request):
    users = request.clinic['users']
    staff_ids = list(users.supervised_by(request.identity.userid))
    staff_ids.append(request.identity.userid)    # clients naming me directly
    return _list_page(request, staff_ids, 'Clients I supervise')


@clinic_view(context=Clients, name='add', permission='add-client',
             renderer='templates/form_page.pt')
class ClientAdd(FormView):
    schema = ClientSchema()
    buttons = ('add client',)

    def page(self):
        return {'heading': 'New client', 'page_title': 'New client', 'back': None}

    def add_client_success(self, values):
        client = Client(values['first_name'], values['last_name'],
                        values['date_of_birth'], [self.request.identity.userid])
        client.preferred_name = values['preferred_name']
        client.diagnosis = values['diagnosis']
        client.diagnosis_codes = split_codes(values['diagnosis_codes'])
        client.medications = split_lines(values['medications'])
        self.context.add_client(client)
        return redirect(self.request, self.request.clinic_url(client), 'client-added')


#: Registry key of ``{container name: note(document, settings, today)}``.
NOTES_KEY = 'minorconsent.client_page_notes'


def add_document_note(config, container, note):
    """``config.add_document_note(container, note)``: the room that owns the
    documents in the client's ``container`` says what staff must be told
    beside each on the client page (``note(document, settings, today)``,
    '' for nothing).  The page lists them without knowing their rules."""
    def register():
        config.registry.setdefault(NOTES_KEY, {})[container] = note
    config.action(('minorconsent.client_page_note', container), register)


#: Registry key of the functions ``notice(clinic, client)`` -> [sentence].
NOTICES_KEY = 'minorconsent.client_page_notices'


def add_client_notice(config, notice):
    """``config.add_client_notice(notice)``: a room above tells staff, at
    the top of the client page, what the client's record lacks by its
    rules (``notice(clinic, client)`` returns sentences, [] for none)."""
    def register():
        config.registry.setdefault(NOTICES_KEY, []).append(notice)
    config.action(None, register)


def client_notices(registry, clinic, client):
    return [sentence for notice in registry.get(NOTICES_KEY, ())
            for sentence in notice(clinic, client)]


#: Registry key of the functions ``panel(request, client)`` -> HTML.
PANELS_KEY = 'minorconsent.client_page_panels'


def add_client_panel(config, panel):
    """A room above shows staff a section of its own on the client page
    (``panel(request, client)`` returns the section's rendered HTML, ''
    for none); the page places it without knowing what it says.  Called
    from that room's ``includeme`` (``add_client_panel(config, panel)``)."""
    def register():
        config.registry.setdefault(PANELS_KEY, []).append(panel)
    config.action(None, register)


def client_panels(request, client):
    return [html for panel in request.registry.get(PANELS_KEY, ())
            for html in (panel(request, client),) if html]


def document_note(registry, container, document, settings, today):
    note = registry.get(NOTES_KEY, {}).get(container)
    return note(document, settings, today) if note is not None else ''


def _newest_first(client, container):
    if container not in client:
        return []
    return sorted(client[container].values(), key=lambda d: d.created, reverse=True)


@clinic_view(context=Client, permission='view-clinical',
             renderer='templates/client.pt')
def client_page(request):
    client = request.context
    clinic = request.clinic
    users = clinic['users']
    today = date.today()
    guardians = []
    for link in client['guardians'].values():
        user = users.get(link.guardian_id)
        guardians.append({
            'link': link,
            'user': user,
            'portal': link.grants_portal_access(client, clinic.settings, today),
            # Entitled is not the same as able to sign in: an account made
            # for an invitation has no password until the guardian sets one.
            'has_password': user is not None and user.password_hash is not None,
        })
    may_notes = request.has_permission('view-notes', client)
    notes = sorted(client['notes'].values(), key=lambda n: n.created,
                   reverse=True) if may_notes else []
    agreements = [(agreement, definition_of(agreement).state(agreement.state).title,
                   document_note(request.registry, 'agreements', agreement, clinic.settings,
                                 today))
                  for agreement in _newest_first(client, 'agreements')]
    summaries = [(summary, definition_of(summary).state(summary.state).title)
                 for summary in _newest_first(client, 'summaries')]
    return {
        'client': client,
        'agreements': agreements,
        'summaries': summaries,
        'age': client.age(today),
        'is_minor': client.is_minor(clinic.settings, today),
        'may_self_consent': client.may_self_consent(clinic.settings, today),
        'goals': sorted(client['goals'].values(), key=lambda g: g.created),
        'goal_statuses': dict(GOAL_STATUSES),
        'notes': notes,
        'may_notes': may_notes,
        'may_edit': request.has_permission('edit-clinical', client),
        'may_add_note': request.has_permission('add-note', client),
        'guardians': guardians,
        'therapists': [users[t] for t in client.therapist_ids if t in users],
        'users': users,
        'own_account': own_account(clinic, client),
        'notices': client_notices(request.registry, clinic, client),
        'panels': client_panels(request, client),
        'family_access_ends': client.family_access_ends(clinic.settings),
        'retained_until': retained_until(client, clinic.settings),
    }


class ClientForm(FormView):
    """A form on a client's record: a heading, and back to the client."""

    heading = ''

    def client(self):
        return find_interface(self.context, Client)

    def page(self):
        return {'heading': self.heading, 'back': self.request.clinic_url(self.client())}


class RecordEdit(ClientForm):
    """An edit of a record built from the revision it was read at (a stale
    one answers 409 with the current version, see ``stale_edit``)."""

    def make_schema(self):
        return with_revision(self.edit_schema())

    def appstruct(self):
        return dict(self.current_values(), revision=str(revision_of(self.context)))

    def stale(self, exc, values, current):
        return stale_edit(self.request, self.form, exc, values, current, self.heading,
                          self.request.clinic_url(self.client()))


@clinic_view(context=Client, name='edit', permission='edit-clinical',
             renderer='templates/form_page.pt')
class ClientEdit(RecordEdit):
    heading = 'Edit client record'

    def edit_schema(self):
        return ClientEditSchema()

    def bind(self):
        return {'users': self.request.clinic['users']}

    def current_values(self):
        client = self.context
        values = {key: getattr(client, key) for key in
                  ('first_name', 'last_name', 'preferred_name', 'date_of_birth',
                   'diagnosis')}
        values['diagnosis_codes'] = ' '.join(client.diagnosis_codes)
        values['medications'] = '\n'.join(client.medications)
        values['therapist_ids'] = set(client.therapist_ids)
        values['custody_policy'] = getattr(client, 'custody_policy', None) or ''
        values['supervisor_id'] = client.supervisor_id or ''
        return values

    def save_success(self, values):
        request, client, clinic = self.request, self.context, self.request.clinic
        parsed = dict(values)
        revision = parsed.pop('revision')
        parsed['diagnosis_codes'] = split_codes(values['diagnosis_codes'])
        parsed['medications'] = split_lines(values['medications'])
        parsed['custody_policy'] = values['custody_policy'] or None
        parsed['supervisor_id'] = values['supervisor_id'] or None
        parsed['therapist_ids'] = tuple(sorted(values['therapist_ids']))
        try:
            edit_client(clinic, client, revision, parsed, request.authenticated_userid)
        except StaleEdit as exc:
            return self.stale(exc, values, client_version(client, clinic['users']))
        if request.has_permission('view-clinical', client):
            return redirect(request, request.clinic_url(client), 'saved')
        return redirect(request, request.clinic_url(clinic['clients']), 'saved')


@clinic_view(context=Client, name='contact', permission='edit-clinical',
             renderer='templates/form_page.pt')
class ClientContact(RecordEdit):
    heading = "Client's contact preferences"

    def edit_schema(self):
        return ContactSchema()

    def appstruct(self):
        contact = self.context.contact
        return dict(contact.as_dict(), revision=str(revision_of(contact)))

    def save_success(self, values):
        contact = self.context.contact
        revision = values.pop('revision')
        try:
            contact.edit(revision, values)
        except StaleEdit as exc:
            return self.stale(exc, values, contact_version(contact))
        return redirect(self.request, self.request.clinic_url(self.context), 'saved')


@clinic_view(context=Client, name='add-goal', permission='edit-clinical',
             renderer='templates/form_page.pt')
class GoalAdd(ClientForm):
    heading = 'New treatment goal'
    schema = GoalSchema()
    buttons = ('add goal',)

    def add_goal_success(self, values):
        self.context['goals'].add(Goal(**values))
        return redirect(self.request, self.request.clinic_url(self.context), 'goal-added')


@clinic_view(context=Goal, name='edit', permission='edit-clinical',
             renderer='templates/form_page.pt')
class GoalEdit(RecordEdit):
    heading = 'Edit treatment goal'

    def edit_schema(self):
        return GoalSchema()

    def current_values(self):
        return {key: getattr(self.context, key) for key in Goal.FIELDS}

    def save_success(self, values):
        goal = self.context
        revision = values.pop('revision')
        try:
            goal.edit(revision, values, self.request.authenticated_userid)
        except StaleEdit as exc:
            return self.stale(exc, values, goal_version(goal))
        return redirect(self.request, self.request.clinic_url(self.client()), 'saved')


@clinic_view(context=Client, name='add-note', permission='add-note',
             renderer='templates/form_page.pt')
class NoteAdd(ClientForm):
    heading = 'New private session note'
    schema = NoteSchema()
    buttons = ('save note',)

    def save_note_success(self, values):
        self.context['notes'].add(Note(values['text'], self.request.identity.userid,
                                       values['session_date']))
        return redirect(self.request, self.request.clinic_url(self.context), 'note-added')
