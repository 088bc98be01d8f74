"""Agreements: consent to treatment and confidentiality agreements.

Templates (versioned text), agreements that run under the workflows in
``workflows/``, and the rules for who must sign.  The rules are plain
functions in the room's modules (``lifecycle``, ``signing``, ``model``),
testable without HTTP; views only call them, and what a step sets off is
in ``subscribers``.  This module registers them.
"""
from importlib.resources import files

from minorconsent.workflow import workflow_guards
from minorconsent.workflow.engine import WorkflowError

from .guards import consenting_party_may_consent
from .lifecycle import (EVENT_OF, act, activate_if_complete, newer_issued, same_kind,
                        start_agreement)
from .model import FAMILY_STATES, KINDS, Agreement, AgreementTemplate
from .signing import SigningError, sign, signer_role


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
    config.include('.subscribers')
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


#: Names other rooms, the seed and the tests import from the room itself.
__all__ = ['Agreement', 'AgreementTemplate', 'SigningError', 'WorkflowError', 'EVENT_OF',
           'start_agreement', 'sign', 'signer_role', 'act', 'activate_if_complete',
           'same_kind', 'newer_issued', 'consenting_party_may_consent']
