"""Family pages for agreements: read the exact text, sign, revoke.

The template gets an ``AgreementView`` only (see ``parentview``).
"""
from dataclasses import replace
from functools import partial

from pyramid.httpexceptions import HTTPNotFound
from pyramid.i18n import get_localizer
from pyramid.threadlocal import get_current_registry

from minorconsent.agreements import esign, pdf
from minorconsent.agreements.lifecycle import act
from minorconsent.agreements.agreement_record import parties_of
from minorconsent.agreements.model import Agreement, authority_words
from minorconsent.agreements.signing import SigningError, sign
from minorconsent.site import Clinic
from minorconsent.site.forms import FormHandler, FormView, button
from minorconsent.site.i18n import _, translate
from minorconsent.site.messages import redirect
from minorconsent.site.views import cached_template, clinic_view, plain_page
from minorconsent.workflow import workflow_guards
from minorconsent.workflow.engine import (Actor, WorkflowError, available, definition_of,
                                          permits)

from .parentview import agreement_view, clinic_contact
from .schemas import DisclosureSchema, RevokeSchema, SignSchema


def without_autofocus(handler):
    """``handler`` with no field autofocused.  deform focuses a form's first
    input on page load, which on the signing page is a checkbox below the
    document: the page opened scrolled past the text the person is asked
    to read (issue 16, item 6).  These pages open at the top."""
    def clear(field):
        field.autofocus = None
        for child in field.children:
            clear(child)
    clear(handler.form)
    return handler


def disclosure_form(request):
    return without_autofocus(FormHandler(
        request, DisclosureSchema(), buttons=(button('agree', _('I agree')),),
        formid='electronic-records'))


def esign_macros():
    return cached_template(get_current_registry(),
                           'minorconsent.portal:templates/esign_disclosure.pt').macros


def agree_to_electronic_records(request, user):
    """Record the agreement with the language the disclosure was read in."""
    esign.agree(user, get_localizer(request).locale_name, request.client_addr or '',
                request.user_agent or '')


@clinic_view(context=Agreement, name='signed.pdf', permission='view-published')
def signer_pdf(request):
    """A signer's own copy: rendered now, showing only their own IP
    address and browser."""
    agreement = request.context
    user_id = request.authenticated_userid
    if agreement.pdf is None or user_id not in agreement.signatures:
        raise HTTPNotFound()
    state_title = definition_of(agreement).state(agreement.state).title
    record = pdf.for_signer(pdf.full_record(agreement, request.clinic, state_title), user_id)
    return pdf.pdf_response(pdf.render(record, partial(translate, request)))


def with_translated_authority(request, view, agreement):
    """``view`` with each signature's authority line in the reader's
    language (the record keeps the English words for the certificate)."""
    localizer = get_localizer(request)
    stored = list(agreement.signatures.values())
    if len(stored) != len(view.signatures):
        return view
    return replace(view, signatures=tuple(
        replace(line, authority=localizer.translate(
            authority_words(signature, agreement.minor_consents, localizer.translate)))
        for line, signature in zip(view.signatures, stored)))


def _principals(request):
    return Actor.from_request(request).principals


@clinic_view(context=Agreement, name='family', permission='view-published',
             renderer='templates/agreement.pt')
def family_agreement(request):
    agreement = request.context
    user = request.identity.user
    principals = _principals(request)
    may_sign = permits(agreement, principals, 'sign')
    actor = Actor(user.__name__, principals)
    steps = {t.id for t in available(agreement, actor, workflow_guards(request.registry))}
    may_revoke = 'revoke' in steps
    may_decline = 'decline' in steps and user.__name__ not in agreement.signatures
    if request.method == 'POST' and (
            (request.POST.get('__formid__') == 'sign' and not may_sign)
            or (request.POST.get('decline') == 'yes' and not may_decline)):
        return plain_page(request, 400, _('This document is not waiting for you'),
                          _('Nothing was changed. It may already be signed or withdrawn.'))
    if may_decline and request.method == 'POST' and request.POST.get('decline') == 'yes':
        # Recorded, and the therapists told, by agreements.subscribers.
        act(agreement, request.registry, 'decline', actor)
        return redirect(request, request.clinic_url(agreement, 'family'), 'declined')
    if may_sign and not any(e.kind == 'viewed' and e.actor_id == user.__name__
                            for e in agreement.event_list()):
        agreement.add_event('viewed', user.__name__, ip=request.client_addr or '',
                         user_agent=request.user_agent or '')
    sign_form = without_autofocus(FormHandler(
        request, SignSchema(), buttons=(button('sign', _('Sign')),), formid='sign',
        appstruct={'text_sha256': agreement.text_sha256}))
    # Before a person's first electronic signature: the disclosure about
    # electronic records, agreed once (agreements/esign.py).
    needs_disclosure = (may_sign and user.__name__ not in agreement.signatures
                        and not esign.has_agreed(user))
    esign_form = disclosure_form(request)
    if needs_disclosure and esign_form.submitted:
        if esign_form.validate() is not None:
            agree_to_electronic_records(request, user)
            return redirect(request, request.clinic_url(agreement, 'family'))
    elif needs_disclosure and sign_form.submitted:
        # A signature posted without the disclosure agreed: nothing is
        # signed, the disclosure says why, next to its box.
        esign_form.fail('agreed', _('Please read and agree to the disclosure about electronic '
                                    'documents before your first electronic signature.'))
    revoke_form = without_autofocus(FormHandler(
        request, RevokeSchema(), buttons=(button('withdraw consent', _('Withdraw consent')),),
        formid='revoke'))
    if may_sign and not needs_disclosure and sign_form.submitted:
        values = sign_form.validate()
        if values is not None:
            try:
                sign(request.clinic, request.registry, agreement, user, principals,
                     values['typed_name'], values['consented_to_electronic'],
                     values['intent_to_sign'], values['text_sha256'],
                     request.client_addr or '', request.user_agent or '',
                     authenticated_by=request.identity.session.auth_method or '')
            except SigningError as exc:
                # Translated here: the field's label repeats the message
                # for screen readers, and would show a msgid as it is.
                sign_form.fail(exc.field, get_localizer(request).translate(exc.message))
            else:
                return redirect(request, request.clinic_url(agreement, 'family'), 'signed')
    if may_revoke and revoke_form.submitted:
        values = revoke_form.validate()
        if values is not None:
            try:
                act(agreement, request.registry, 'revoke', actor, values['comment'])
            except WorkflowError as exc:
                revoke_form.fail('comment', str(exc))
            else:
                return redirect(request, request.clinic_url(agreement, 'family'), 'revoked')
    state_title = definition_of(agreement).state(agreement.state).title
    view = agreement_view(agreement, user.__name__, may_sign, may_revoke, state_title)
    return {'agreement': with_translated_authority(request, view, agreement),
            'parties': parties_of(agreement, request.clinic),
            'sign_form': sign_form.render() if may_sign and not needs_disclosure
            and user.__name__ not in agreement.signatures else '',
            'esign_form': esign_form.render() if needs_disclosure else '',
            'esign_macros': esign_macros(),
            'contact': clinic_contact(request.clinic.settings),
            'revoke_form': revoke_form.render() if may_revoke else '',
            'may_decline': may_decline}


@clinic_view(context=Clinic, name='electronic-records', permission='signed-in',
             renderer='templates/electronic_records.pt')
class ElectronicRecords(FormView):
    """The disclosure about electronic documents, whether and when the
    person agreed, and the way to agree or to withdraw (then the next
    signature asks again, and the practice uses paper).  The withdraw
    button, and the page of a person who agreed, come before the form
    (``before``); the form is the one the signing page shows too."""

    def saved(self):
        return redirect(self.request,
                        self.request.clinic_url(self.request.clinic, 'electronic-records'),
                        'saved')

    def before(self):
        request = self.request
        self.user = user = request.identity.user
        agreed = esign.has_agreed(user)
        if request.method == 'POST' and request.POST.get('withdraw') == 'yes':
            if not agreed:
                return plain_page(request, 400, _('There is no consent to withdraw'),
                                  _('Nothing was changed.'))
            esign.withdraw(user)
            return self.saved()
        if agreed:
            found = esign.consent_of(user)
            return dict(self.page(), form='',
                        agreed_on=found.time if found else None)
        return None

    def make_form(self):
        return disclosure_form(self.request)

    def page(self):
        return {'agreed_on': None, 'contact': clinic_contact(self.request.clinic.settings),
                'esign_macros': esign_macros()}

    def agree_success(self, values):
        agree_to_electronic_records(self.request, self.user)
        return self.saved()
