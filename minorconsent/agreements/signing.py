"""Signing an agreement: who signs in which role, and the conditions a
signature must meet before it is recorded (the last one activates the
agreement, ``lifecycle.activate_if_complete``)."""
from dataclasses import replace

from minorconsent.site.clock import utcnow
from minorconsent.site.i18n import _
from minorconsent.workflow.engine import permits

from . import esign
from .events import announce_signature
from .lifecycle import activate_if_complete, newer_issued
from .model import Signature, authority_words
from .typed_name import typed_name_matches


class SigningError(ValueError):
    """A signature that must not be recorded; the message says why.

    The message is a TranslationString (``message``), so the signing page
    shows it in the signer's language; ``str()`` gives the English.
    ``field``: the signing form's field it belongs next to (the typed name
    when it is about the signature as a whole)."""

    def __init__(self, message, field='typed_name'):
        super().__init__(message)
        self.field = field

    @property
    def message(self):
        return self.args[0] if self.args else ''

    def __str__(self):
        message = self.message
        return message.interpolate() if hasattr(message, 'interpolate') else str(message)


def signer_role(agreement, user):
    client = agreement.workflow_client()
    if user.__name__ in agreement.required_guardians:
        return 'guardian'
    if user.__name__ == client.self_account_id and (
            agreement.assent_required or agreement.minor_consents):
        return 'minor'
    return None


def sign(clinic, registry, agreement, user, principals, typed_name, consented_to_electronic,
         intent_to_sign, shown_sha256, ip='', user_agent='', now=None, authenticated_by=''):
    """Record ``user``'s signature; activate the agreement when it completes.

    Refused with ``SigningError`` unless every condition holds, among them
    the person's standing consent to electronic records (``esign``).  A
    second submission of the same signature returns the first one.
    ``authenticated_by``: how the signer's session began (the session's
    ``auth_method``), for the certificate.
    """
    if user.__name__ in agreement.signatures:
        return agreement.signatures[user.__name__]
    role = signer_role(agreement, user)
    if role is None or not permits(agreement, principals, 'sign'):
        raise SigningError(_('This agreement is not waiting for your signature.'))
    if shown_sha256 != agreement.text_sha256:
        raise SigningError(_('The text changed since you opened it. Please read it again.'))
    if newer_issued(agreement):
        raise SigningError(_('A newer version of this document was sent. Please sign that one.'))
    if not esign.has_agreed(user):
        raise SigningError(_('Please read and agree to the disclosure about electronic '
                             'documents before your first electronic signature.'))
    if not consented_to_electronic:
        raise SigningError(_('Please agree to sign electronically.'),
                           field='consented_to_electronic')
    if not intent_to_sign:
        raise SigningError(_('Please confirm that you intend to sign.'), field='intent_to_sign')
    typed_name = ' '.join((typed_name or '').split())
    if len(typed_name) < 2:
        raise SigningError(_('Please type your full name.'))
    if not typed_name_matches(typed_name, user.display_name):
        raise SigningError(_('Type your full name as it appears on your account: ${name}',
                             mapping={'name': user.display_name}))
    client = agreement.workflow_client()
    if role == 'guardian':
        relationship = client['guardians'][user.__name__].relationship
    else:
        relationship = 'client'
    now = now or utcnow()
    signature = Signature(user.__name__, typed_name, role, relationship, '', now,
                          ip, user_agent[:300], agreement.template_version,
                          agreement.text_sha256, True, True, authenticated_by or '')
    # The certificate keeps the English words; family pages translate them.
    authority = authority_words(signature, agreement.minor_consents).interpolate()
    signature = replace(signature, authority=authority)
    agreement.signatures[user.__name__] = signature
    agreement.add_event('signed', user.__name__, authority, ip, user_agent[:300], now)
    announce_signature(registry, agreement, user.__name__, now)
    activate_if_complete(agreement, registry, now)
    return signature


def sign_as_therapist(registry, agreement, user, typed_name, intent_to_sign, shown_sha256,
                      ip='', user_agent='', now=None):
    """The therapist's signature on an agreement of a kind the therapist
    signs (``kinds``): the same conditions as a family member's, the
    staff page's form instead of the family page.  The agreement names the
    therapist who started it as its signer; nobody else signs it."""
    if user.__name__ in agreement.signatures:
        return agreement.signatures[user.__name__]
    if agreement.therapist_signer != user.__name__ \
            or agreement.state not in ('sent', 'proposed'):
        raise SigningError(_('This agreement is not waiting for your signature.'))
    if shown_sha256 != agreement.text_sha256:
        raise SigningError(_('The text changed since you opened it. Please read it again.'))
    if not intent_to_sign:
        raise SigningError(_('Please confirm that you intend to sign.'), field='intent_to_sign')
    typed_name = ' '.join((typed_name or '').split())
    if not typed_name_matches(typed_name, user.display_name):
        raise SigningError(_('Type your full name as it appears on your account: ${name}',
                             mapping={'name': user.display_name}))
    now = now or utcnow()
    signature = Signature(user.__name__, typed_name, 'therapist', 'therapist',
                          "The client's therapist", now, ip, user_agent[:300],
                          agreement.template_version, agreement.text_sha256, True, True, '')
    agreement.signatures[user.__name__] = signature
    agreement.add_event('signed', user.__name__, signature.authority, ip, user_agent[:300], now)
    announce_signature(registry, agreement, user.__name__, now)
    activate_if_complete(agreement, registry, now)
    return signature
