"""Staff pages: the client's disclosures, releases and requests; the forms
that record them; the insurer export."""
import functools

from pyramid.response import Response

from minorconsent.clients import Client
from minorconsent.clients.views import ClientForm
from minorconsent.site.messages import redirect
from minorconsent.site.views import clinic_view
from minorconsent.workflow import workflow_guards
from minorconsent.workflow.engine import Actor, available, definition_of

from .insurer import export_for_insurer
from .model import RECIPIENT_TITLES, Disclosure, DisclosureRefused, disclosures_of
from .releases import ITEM_TITLES, ReleaseTerms, is_live, live_releases, releases_of, \
    start_release
from .requests import KIND_TITLES, OUTCOME_TITLES, STANDARD_REPLY, record_request, \
    requests_of
from .rules import record_disclosure
from .schemas import DisclosureSchema, InsurerExportSchema, ReleaseSchema, RequestSchema

FORM_PAGE = 'minorconsent:clients/templates/form_page.pt'


def _state_title(obj):
    return definition_of(obj).state(obj.state).title


@clinic_view(context=Client, name='sharing', permission='view-clinical',
             renderer='templates/disclosures.pt')
def disclosures_page(request):
    client = request.context
    return {
        'client': client,
        'disclosures': sorted(disclosures_of(client), key=lambda d: d.told_on, reverse=True),
        'releases': list(reversed(releases_of(client))),
        'requests': requests_of(client),
        'state_title': _state_title,
        'is_live': is_live,
        'item_titles': ITEM_TITLES,
        'recipient_titles': RECIPIENT_TITLES,
        'kind_titles': KIND_TITLES,
        'outcome_titles': OUTCOME_TITLES,
        'users': request.clinic['users'],
        'may_edit': request.has_permission('edit-clinical', client),
        'standard_reply': STANDARD_REPLY,
    }


def _guardian_choices(client, users):
    return [(gid, users[gid].display_name) for gid in client['guardians'].keys()
            if gid in users]


class SharingForm(ClientForm):
    """A form of the client's sharing page: back to that page.  What the
    room's rules refuse (``DisclosureRefused``) is said next to the field
    it names, and nothing is recorded (``recorded``)."""

    def page(self):
        return {'heading': self.heading,
                'back': self.request.clinic_url(self.context, 'sharing')}

    def recorded(self, record, *args, **kw):
        """``record(*args, **kw)``'s result, or None when the rules refused
        it: the reason is then next to its field (400)."""
        try:
            return record(*args, **kw)
        except DisclosureRefused as refused:
            self.fail(refused.field, str(refused))
            return None


#: Registers a ``SharingForm`` page: ``<client>/<name>``, for those who may
#: edit the client's record.
sharing_form = functools.partial(clinic_view, context=Client, permission='edit-clinical',
                                 renderer=FORM_PAGE)


@sharing_form(name='add-disclosure')
class DisclosureAdd(SharingForm):
    heading = 'Record a disclosure'
    schema = DisclosureSchema()
    buttons = ('record disclosure',)

    def bind(self):
        self.releases = {r.__name__: r for r in live_releases(self.context)
                         if r.terms.recipient_kind != 'guardian'}
        return {'guardians': _guardian_choices(self.context, self.request.clinic['users']),
                'releases': [(ref, '%s (until %s)' % (r.terms.recipient, r.terms.expires_on))
                             for ref, r in self.releases.items()]}

    def record_disclosure_success(self, values):
        request = self.request
        disclosure = self.recorded(
            record_disclosure, request.clinic, self.context, request.registry,
            request.authenticated_userid, values['reason'], values['recipient_kind'],
            values['text'], values['told_on'], guardian_id=values['guardian_id'] or None,
            recipient_name=values['recipient_name'], justification=values['justification'],
            release=self.releases.get(values['release']), items=sorted(values['items']))
        if disclosure is None:
            return None
        return redirect(request, request.clinic_url(disclosure), 'saved')


@clinic_view(context=Disclosure, permission='view', renderer='templates/disclosure.pt')
def disclosure_page(request):
    disclosure = request.context
    users = request.clinic['users']
    return {
        'd': disclosure,
        'client': disclosure.workflow_client(),
        'state_title': _state_title(disclosure),
        'recipient': (users[disclosure.guardian_id].display_name
                      if disclosure.guardian_id in users else disclosure.recipient_name),
        'recipient_kind': RECIPIENT_TITLES.get(disclosure.recipient_kind, ''),
        'item_titles': ITEM_TITLES,
        'steps': available(disclosure, Actor.from_request(request),
                           workflow_guards(request.registry)),
        'users': users,
    }


@sharing_form(name='add-release')
class ReleaseAdd(SharingForm):
    heading = 'New release of information'
    schema = ReleaseSchema()
    buttons = ('prepare release',)

    def bind(self):
        return {'guardians': _guardian_choices(self.context, self.request.clinic['users'])}

    def prepare_release_success(self, values):
        request, users = self.request, self.request.clinic['users']
        kind, guardian_id = values['recipient_kind'], values['guardian_id']
        recipient = ' '.join(values['recipient'].split())
        if kind == 'guardian' and guardian_id in users:
            recipient = users[guardian_id].display_name
        try:
            if not recipient:
                raise DisclosureRefused('recipient', 'Name the recipient.')
            terms = ReleaseTerms(
                recipient, kind, tuple(k for k in ITEM_TITLES if k in values['items']),
                values['purpose'].strip(), values['expires_on'],
                guardian_id=guardian_id if kind == 'guardian' else '')
            release = start_release(request.clinic, self.context,
                                    request.authenticated_userid, terms)
        except DisclosureRefused as refused:
            return self.fail(refused.field, str(refused))
        except ValueError as exc:     # the agreement rules (who can sign)
            return self.fail('recipient_kind', str(exc))
        return redirect(request, request.clinic_url(release), 'saved')


@sharing_form(name='insurer-export')
class InsurerExport(SharingForm):
    """POST: the minimum-necessary CSV, recorded as a disclosure."""

    heading = 'Export for the insurer (minimum necessary)'
    schema = InsurerExportSchema()
    buttons = ('export',)

    def export_success(self, values):
        exported = self.recorded(export_for_insurer, self.context, self.request.registry,
                                 self.request.authenticated_userid, values['insurer'],
                                 values['first_day'], values['last_day'])
        if exported is None:
            return None
        response = Response(exported[1], content_type='text/csv', charset='utf-8')
        response.content_disposition = 'attachment; filename="insurer-export.csv"'
        return response


@sharing_form(name='add-request')
class RequestAdd(SharingForm):
    heading = 'Record a request for information'
    schema = RequestSchema()
    buttons = ('record request',)

    def record_request_success(self, values):
        if self.recorded(record_request, self.context, self.request.authenticated_userid,
                         values['requester'], values['requester_kind'],
                         values['received_on'], values['asked_for'], values['outcome'],
                         values['note']) is None:
            return None
        return redirect(self.request, self.request.clinic_url(self.context, 'sharing'), 'saved')
