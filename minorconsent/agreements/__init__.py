"""Agreements: consent to treatment and confidentiality agreements.

Templates (versioned text), agreements that run under the workflows in
``workflows/``, and the rules for who must sign.  The rules are plain
functions here, testable without HTTP; views only call them.
"""
from dataclasses import replace
from datetime import date
from importlib.resources import files

from minorconsent.site import find_clinic
from minorconsent.site.folder import Folder
from minorconsent.site.i18n import _
from minorconsent.workflow import workflow_guards
from minorconsent.workflow.engine import Actor, WorkflowError, available, fire, start

from . import esign
from .model import (FAMILY_STATES, KINDS, Agreement, AgreementTemplate, Signature,
                    assent_expected, authority_words, custody_policy, default_signers,
                    typed_name_matches, utcnow)


class SigningError(ValueError):
    """A signature that must not be recorded; the message says why.

    The message is a TranslationString (``message``), so the signing page
    shows it in the signer's language; ``str()`` gives the English."""

    @property
    def message(self):
        return self.args[0] if self.args else ''

    def __str__(self):
        message = self.message
        return message.interpolate() if hasattr(message, 'interpolate') else str(message)


def start_agreement(clinic, client, kind, actor_id, required_guardians=None,
                    assent_required=None, minor_consents=False, today=None):
    """A new agreement for ``client`` in its workflow's first state."""
    settings = clinic.settings
    today = today or date.today()
    eligible = default_signers(client, settings, today)
    if minor_consents:
        if not client.may_self_consent(settings, today):
            raise ValueError('The client cannot yet consent on their own here.')
        if not client.self_account_id:
            raise ValueError('The client needs their own sign-in to consent.')
        required, needed = [], 0
    else:
        required = eligible if required_guardians is None else list(required_guardians)
        not_allowed = set(required) - set(eligible)
        if not_allowed:
            raise ValueError('Only guardians with legal authority and no restriction can sign.')
        if not required:
            raise ValueError('No guardian with legal authority can sign for this client.')
        needed = len(required) if custody_policy(client, settings) == 'all' else 1
    if assent_required is None:
        # Assent is collected through the client's own sign-in; without one
        # the therapist records it on paper and the form says so.
        assent_required = (not minor_consents and bool(client.self_account_id)
                           and assent_expected(client, settings, today))
    if assent_required and not client.self_account_id:
        raise ValueError("The client's assent needs their own sign-in.")
    version = clinic['agreement-templates'][kind].current
    agreement = Agreement(kind, version, required, needed, assent_required, minor_consents)
    if 'agreements' not in client:
        client.add(Folder(), 'agreements')
    client['agreements'].add(agreement)
    start(agreement, KINDS[kind][1], actor_id)
    agreement.record('started', actor_id, 'version %d' % version.number)
    return agreement


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
    from pyramid.authorization import ACLHelper
    if user.__name__ in agreement.signatures:
        return agreement.signatures[user.__name__]
    role = signer_role(agreement, user)
    if role is None or not ACLHelper().permits(agreement, principals, 'sign'):
        raise SigningError(_('This agreement is not waiting for your signature.'))
    if shown_sha256 != agreement.text_sha256:
        raise SigningError(_('The text changed since you opened it. Please read it again.'))
    if newer_issued(agreement):
        raise SigningError(_('A newer version of this document was sent. Please sign that one.'))
    if not esign.has_agreed(user):
        raise SigningError(_('Please read and agree to the disclosure about electronic '
                             'documents before your first electronic signature.'))
    if not consented_to_electronic:
        raise SigningError(_('Please agree to sign electronically.'))
    if not intent_to_sign:
        raise SigningError(_('Please confirm that you intend to sign.'))
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
    agreement.record('signed', user.__name__, authority, ip, user_agent[:300], now)
    activate_if_complete(agreement, registry, now)
    return signature


def activate_if_complete(agreement, registry, now=None):
    """Fire 'activate' as the system once every signature and assent is in."""
    guards = workflow_guards(registry)
    if any(t.id == 'activate' for t in available(agreement, Actor.system(), guards)):
        fire(agreement, 'activate', Actor.system(), guards, now=now)
        agreement.record('activated', 'system', now=now)
        store_pdf(agreement)
        find_clinic(agreement).invitations.cancel(agreement, now=now)
        for older in same_kind(agreement):
            if older.created < agreement.created and older.state == 'active':
                fire(older, 'supersede', Actor.system(), guards, now=now)
                older.record('superseded', 'system', 'by a newer version', now=now)
        return True
    return False


def same_kind(agreement):
    """The client's other agreements of the same kind (for a release: to the
    same recipient; releases to different recipients stand side by side)."""
    client = agreement.workflow_client()
    recipient = _recipient(agreement)
    return [a for a in client['agreements'].values()
            if a is not agreement and a.kind == agreement.kind
            and _recipient(a) == recipient]


def _recipient(agreement):
    terms = getattr(agreement, 'terms', None)
    return terms.recipient.casefold() if terms is not None else None


def newer_issued(agreement):
    """Was a newer agreement of the same kind sent or activated since?"""
    return any(other.created > agreement.created
               and other.state in ('sent', 'proposed', 'active')
               for other in same_kind(agreement))


def store_pdf(agreement):
    """Render the signed agreement and keep it as a blob beside it."""
    from ZODB.blob import Blob
    from minorconsent.site import find_clinic
    from minorconsent.workflow.engine import definition_of
    from . import pdf
    state_title = definition_of(agreement).state(agreement.state).title
    data = pdf.render(pdf.record_of(agreement, find_clinic(agreement), state_title))
    agreement.pdf = Blob(data)
    agreement.pdf_sha256 = text_hash_bytes(data)
    # The signed document's hash on the chain, not only beside the PDF in
    # the clinic's (mutable) database.
    from minorconsent.audit.recorder import note
    note(agreement, 'agreement.document_stored', actor='system',
         detail='%s v%s pdf sha256 %s text sha256 %s' % (
             agreement.kind, agreement.template_version, agreement.pdf_sha256,
             agreement.text_sha256))


def text_hash_bytes(data):
    import hashlib
    return hashlib.sha256(data).hexdigest()


#: The e-signature event a workflow step stands for (others keep their id).
EVENT_OF = {'send': 'sent', 'propose': 'sent', 'decline': 'declined',
            'revoke': 'revoked'}


def act(agreement, registry, transition_id, actor, comment='', event=None, ip='',
        user_agent=''):
    """Fire a workflow step for a person and record it among the events."""
    guards = workflow_guards(registry)
    fire(agreement, transition_id, actor, guards, comment)
    agreement.record(event or EVENT_OF.get(transition_id, transition_id), actor.id,
                     comment, ip, user_agent)


def active_agreements(client, kind):
    return [a for a in client.get('agreements', {}).values() if a.kind == kind
            and a.state == 'active'] if 'agreements' in client else []


def consenting_party_may_consent(ctx):
    """The agreement's consenting party may consent today: for guardians,
    the client is still a minor; where the client is the consenting party
    (``minor_consents``), the client has reached the self-consent age (an
    adult always has).  Named by the steps that send an agreement out, so
    the hand-over at majority is not a dead end: the guardians' agreement
    can no longer be sent, the client's own can.  Fails closed for an
    object that is not an agreement."""
    client, obj = ctx.client, ctx.obj
    if client is None or not hasattr(obj, 'minor_consents'):
        return False
    if obj.minor_consents:
        return client.may_self_consent(ctx.settings, ctx.today)
    return client.is_minor(ctx.settings, ctx.today)


def includeme(config):
    config.add_client_container('agreements', Agreement)
    config.add_workflow_guard('consenting_party_may_consent', consenting_party_may_consent)
    # The step and state ids this room's code fires or reads (the validator
    # refuses a definition without them, with these reasons).
    for kind, waiting, sending in (('consent', 'sent', 'send'),
                                   ('confidentiality', 'proposed', 'propose'),
                                   ('release', 'sent', 'send')):
        config.require_workflow_step(
            kind, 'activate', 'the system activates the agreement with this step when the '
            'last signature arrives', from_states=(waiting,), to_state='active')
        config.require_workflow_step(
            kind, 'supersede', 'when a newer agreement of the same kind becomes active, the '
            'system supersedes the older one with this step', from_states=('active',))
        config.require_workflow_step(
            kind, sending, 'sending the agreement out with this step invites the signers and '
            'is recorded as the "sent" signature event', to_state=waiting)
        config.require_workflow_state(
            kind, waiting, 'an agreement waits for signatures, and its invitations work, '
            'only in this state')
        # A release is an authorization to share, not consent to treatment:
        # its "active" does not activate consent, but is guarded the same.
        config.require_workflow_state(
            kind, 'active', 'an agreement is in force only in this state, which it may reach '
            'only once every required guardian signed and the minor assented where needed',
            activates_consent=kind != 'release',
            guards_into=('all_required_guardians_signed', 'minor_assented_or_not_required'))
    for kind in ('consent', 'release'):
        config.require_workflow_step(
            kind, 'decline', "the family's Decline button fires this step (recorded as the "
            '"declined" signature event)', from_states=('sent',))
        config.require_workflow_step(
            kind, 'revoke', "the family's Withdraw consent button fires this step (recorded "
            'as the "revoked" signature event)', from_states=('active',))
    for kind, roles in sorted(FAMILY_STATES.items()):
        config.declare_family_states(
            kind, 'a family member reads or signs an agreement only while it waits for '
            'signatures or is in force (a guardian also sees one they declined or revoked)',
            **roles)
    config.add_evolve_step('0006-agreements-templates', _add_templates)
    config.add_evolve_step('0007-agreements-invitations', _add_invitations)
    config.add_evolve_step('0008-agreements-template-folder-class', _template_folder_class)
    config.add_evolve_step('0010-agreements-new-templates', add_missing_templates)
    config.add_evolve_step('0012-agreements-send-guard', use_send_guard)
    config.scan('.views')
    config.scan('.admin_views')


#: The step of each agreement workflow that sends it out.
SENDING_STEPS = {'consent-to-treatment': 'send', 'confidentiality-agreement': 'propose',
                 'release-of-information': 'send'}


def use_send_guard(root, registry):
    """Databases made before ``consenting_party_may_consent`` still name
    ``client_is_minor`` on the sending step, which made the client's own
    agreement unsendable at majority.  Publish a version of each such
    workflow with the new guard on that step and nothing else changed, and
    move its objects (no state changes; the history names 'system').  A
    clinic that replaced the guard, or is mid-migration, is left alone."""
    import re
    from minorconsent.workflow.definition import loads
    from minorconsent.workflow.migrate import publish_with_migration, run_batch
    from minorconsent.workflow.validate import problems
    if 'workflows' not in root:
        return
    for wid, step in sorted(SENDING_STEPS.items()):
        record = root['workflows'].get(wid)
        if record is None or (getattr(record, 'migration', None) is not None
                              and not record.migration.finished):
            continue
        found = [t for t in record.definition().transitions if t.id == step]
        if not found or 'client_is_minor' not in found[0].guards:
            continue
        source = record.versions[record.current]
        blocks = re.split(r'(?m)^(?=\[\[transitions\]\])', source)
        blocks = [re.sub(r'"client_is_minor"', '"consenting_party_may_consent"', block)
                  if re.search(r'(?m)^id\s*=\s*"%s"\s*$' % step, block) else block
                  for block in blocks]
        new_source = ''.join(blocks)
        workflow = loads(new_source)
        if problems(workflow, workflow_guards(registry)):
            continue
        publish_with_migration(record, new_source, workflow, {}, 'system',
                               'The sending step names consenting_party_may_consent.')
        while run_batch(record):
            pass


def _add_invitations(root, registry):
    from .invitations import Invitations
    root.invitations = Invitations()


def _template_folder_class(root, registry):
    """Databases built before AgreementTemplates existed held a plain Folder."""
    from .model import AgreementTemplates
    old = root['agreement-templates']
    if isinstance(old, AgreementTemplates):
        return
    root.remove('agreement-templates')
    new = AgreementTemplates()
    for kind in list(old.keys()):
        new.add(old.remove(kind), kind)
    root.add(new, 'agreement-templates')


def _add_templates(root, registry):
    from .model import AgreementTemplates
    root.add(AgreementTemplates(), 'agreement-templates')
    add_missing_templates(root, registry)


def add_missing_templates(root, registry):
    """The shipped text of each kind the clinic has no template for yet."""
    folder = root['agreement-templates']
    texts = files(__name__) / 'texts'
    for kind in KINDS:
        if kind not in folder:
            folder.add(AgreementTemplate(kind, (texts / ('%s.txt' % kind)).read_text('utf-8')),
                       kind)


__all__ = ['Agreement', 'AgreementTemplate', 'SigningError', 'WorkflowError',
           'start_agreement', 'sign', 'act', 'activate_if_complete']
