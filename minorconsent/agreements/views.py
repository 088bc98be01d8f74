"""Staff views of agreements: start one, read it, move it along."""
import json

from pyramid.httpexceptions import HTTPNotFound
from pyramid.response import Response

from minorconsent.clients import Client
from minorconsent.clients.views import ClientForm
from minorconsent.site.messages import redirect
from minorconsent.site.views import clinic_view
from minorconsent.workflow import workflow_guards
from minorconsent.workflow.engine import Actor, available, definition_of
from minorconsent.workflow.views import step_refused

from . import pdf
from .fhir import consent_resource
from .invitations import invite_signers
from .kinds import SIGNED_BY, kind_of, kinds_of, missing_required
from .lifecycle import start_agreement
from .model import Agreement, age_note, assent_expected, custody_policy, default_signers
from .paper import paper_signers
from .pdf import pdf_response
from .renewal import ask_to_sign_new_version, on_old_version, renewal_waiting, versions_of
from .schemas import StartSchema
from .signing import SigningError, sign_as_therapist
from .validity import period_note


#: The custody rule in the start page's heading.
CUSTODY_WORDS = {'all': 'every guardian with legal authority signs',
                 'one': 'one guardian with legal authority is enough'}


@clinic_view(context=Client, name='add-agreement', permission='edit-clinical',
             renderer='minorconsent:clients/templates/form_page.pt')
class AgreementStart(ClientForm):
    """Start an agreement: the document, who signs (the guardians who may,
    all ticked), the client's assent, or the client consenting alone."""
    schema = StartSchema()
    buttons = ('start',)

    def eligible(self):
        client, clinic = self.context, self.request.clinic
        users = clinic['users']
        return [(gid, '%s (%s)' % (users[gid].display_name,
                                   client['guardians'][gid].relationship_title))
                for gid in default_signers(client, clinic.settings) if gid in users]

    def bind(self):
        return {'eligible': self.eligible(), 'kinds': [
            (k.id, '%s (signed by %s)' % (k.title, SIGNED_BY[k.signers])
             if not k.builtin else k.title)
            for k in kinds_of(self.request.clinic).offered()]}

    def page(self):
        values = super().page()
        missing = missing_required(self.request.clinic, self.context)
        if missing:
            values['heading'] = '%s. Required before the first session and not active yet: %s' \
                % (values.get('heading', self.heading), ', '.join(k.title for k in missing))
        return values

    def appstruct(self):
        client, settings = self.context, self.request.clinic.settings
        return {'kind': 'consent', 'guardians': {gid for gid, _ in self.eligible()},
                'assent_required': assent_expected(client, settings)
                and bool(client.self_account_id)}

    @property
    def heading(self):
        policy = custody_policy(self.context, self.request.clinic.settings)
        return 'Start an agreement (custody rule: %s)' % CUSTODY_WORDS[policy]

    def start_success(self, values):
        request = self.request
        try:
            agreement = start_agreement(
                request.clinic, self.context, values['kind'], request.authenticated_userid,
                required_guardians=sorted(values['guardians']),
                assent_required=values['assent_required'],
                minor_consents=values['minor_consents'])
        except ValueError as exc:
            # Next to the field it is about (a self-consent refusal under
            # "Guardians who sign" sent staff looking in the wrong place).
            return self.fail(getattr(exc, 'field', 'guardians'), str(exc))
        return redirect(request, request.clinic_url(agreement), 'agreement-started')


@clinic_view(context=Agreement, permission='view', renderer='templates/agreement.pt')
def agreement_page(request):
    agreement = request.context
    client = agreement.workflow_client()
    users = request.clinic['users']
    workflow = definition_of(agreement)
    actor = Actor.from_request(request)
    return {
        'agreement': agreement, 'client': client, 'users': users,
        'state': workflow.state(agreement.state), 'workflow': workflow,
        'steps': available(agreement, actor, workflow_guards(request.registry)),
        'signers': [(users.get(gid), agreement.signatures.get(gid))
                    for gid in agreement.required_guardians],
        'assent_signature': agreement.signatures.get(client.self_account_id)
        if client.self_account_id else None,
        'paper_signers': paper_signers(agreement, users),
        'signed_words': lambda signature: signed_words(signature, users),
        'invitations': sorted(request.clinic.invitations.for_agreement(agreement),
                              key=lambda i: i.created, reverse=True),
        'waiting': agreement.state in ('sent', 'proposed'),
        'age_note': age_note(agreement, request.clinic.settings),
        'period_note': period_note(agreement, request.clinic.settings),
        'versions': versions_of(agreement), 'on_old_version': on_old_version(agreement),
        'renewal': renewal_waiting(agreement),
        'may_renew': on_old_version(agreement) and renewal_waiting(agreement) is None
        and request.authenticated_userid in client.therapist_ids,
        'kind': kind_of(agreement),
        'therapist_may_sign': agreement.therapist_signer == request.authenticated_userid
        and agreement.state in ('sent', 'proposed')
        and agreement.therapist_signer not in agreement.signatures,
        'therapist_signature': agreement.signatures.get(agreement.therapist_signer)
        if agreement.therapist_signer else None,
    }


def signed_words(signature, users):
    """A signature's line on the staff page: how it was made."""
    if signature is None:
        return 'not signed yet'
    if not signature.on_paper:
        return 'signed online'
    recorder = users[signature.recorded_by].display_name \
        if signature.recorded_by in users else signature.recorded_by
    return 'signed on paper on %s, witnessed by %s, recorded by %s' % (
        signature.paper_signed_on, signature.witness, recorder)


@clinic_view(context=Agreement, name='invitations', permission='view', request_method='POST')
def agreement_invitations(request):
    """Resend the invitations of everyone who has not signed, or cancel
    them all."""
    agreement = request.context
    if request.authenticated_userid not in agreement.workflow_client().therapist_ids:
        raise HTTPNotFound()
    if agreement.state not in ('sent', 'proposed'):
        return step_refused(request, 'Only an agreement waiting for signatures has invitations.')
    if request.POST.get('action') == 'cancel':
        request.clinic.invitations.cancel(agreement)
        agreement.add_event('invitations cancelled', request.authenticated_userid)
        return redirect(request, request.clinic_url(agreement), 'step-done')
    invite_signers(request, agreement)
    return redirect(request, request.clinic_url(agreement), 'invitations-sent')


@clinic_view(context=Agreement, name='agreement.pdf', permission='view')
def agreement_pdf(request):
    """The full certificate, for the clinic.

    While the agreement is still active, nothing has happened to it since it
    was signed: the clinic gets the stored document itself, byte for byte
    the one the FHIR export carries (and whose hash it states).  Once it
    has moved on (revoked, superseded, expired, ended), the certificate is
    rendered from the current state and events (``pdf.clinic_copy``), so
    the change and who made it show at once."""
    agreement = request.context
    if agreement.pdf is None:
        return step_refused(request, 'This agreement has no signed PDF yet.')
    if agreement.state == 'active':
        with agreement.pdf.open('r') as stored:
            return pdf_response(stored.read())
    return pdf_response(pdf.clinic_copy(agreement, request.clinic))


@clinic_view(context=Agreement, name='consent.fhir.json', permission='view')
def agreement_fhir(request):
    """The agreement as a FHIR R4 Consent resource."""
    body = json.dumps(consent_resource(request.context, request.clinic, request.registry),
                      indent=2)
    response = Response(body, content_type='application/fhir+json', charset='utf-8')
    response.content_disposition = 'attachment; filename="consent.fhir.json"'
    return response




@clinic_view(context=Agreement, name='new-version', permission='view', request_method='POST')
def agreement_new_version(request):
    """Ask to sign the new version: a new agreement of the same kind on the
    newest text, sent to those who must sign (``renewal``)."""
    agreement = request.context
    if request.authenticated_userid not in agreement.workflow_client().therapist_ids:
        raise HTTPNotFound()
    try:
        new = ask_to_sign_new_version(request.clinic, request.registry, agreement,
                                      Actor.from_request(request))
    except ValueError as exc:
        request.tm.doom()
        return step_refused(request, str(exc))
    return redirect(request, request.clinic_url(new), 'invitations-sent')


@clinic_view(context=Agreement, name='therapist-signature', permission='view',
             request_method='POST')
def agreement_therapist_signature(request):
    """The therapist signs an agreement of a kind the therapist signs."""
    agreement = request.context
    if agreement.therapist_signer != request.authenticated_userid:
        raise HTTPNotFound()
    user = request.clinic['users'][request.authenticated_userid]
    try:
        sign_as_therapist(request.registry, agreement, user, request.POST.get('typed_name', ''),
                          request.POST.get('intent_to_sign') == 'yes',
                          request.POST.get('text_sha256', ''), request.client_addr or '',
                          request.user_agent or '')
    except SigningError as exc:
        return step_refused(request, str(exc))
    return redirect(request, request.clinic_url(agreement), 'step-done')
