"""Agreements: consent to treatment, confidentiality agreements and releases.

Templates (versioned text), agreements that run under the workflows in
``workflows/``, and the rules for who must sign.  The rules are plain
functions in the room's modules (``lifecycle``, ``signing``, ``model``),
testable without HTTP; views only call them, and what a step sets off is
in ``subscribers``.  This module registers them.
"""
from minorconsent.workflow.engine import WorkflowError

from .guards import consenting_party_may_consent
from .lifecycle import (EVENT_OF, act, activate_if_complete, newer_issued, same_kind,
                        start_agreement)
from .model import FAMILY_STATES, Agreement, AgreementTemplate
from .kinds import required_notice
from .renewal import staff_note
from .signing import SigningError, sign, signer_role


def includeme(config):
    config.add_client_container('agreements', Agreement)
    # The daily job's hand-over at majority (``majority``).
    config.include('.majority')
    # The daily job's renewals and expiries (``periods``).
    config.include('.periods')
    # What staff are told beside each agreement on the client page (an
    # agreement at majority, one in force on an old version of its text).
    config.add_document_note('agreements', staff_note)
    config.add_client_notice(required_notice)
    # POST <agreement>/step: the workflow room's one step view.
    config.add_step_view(Agreement)
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
    for kind, waiting in (('consent', 'sent'), ('confidentiality', 'proposed'),
                          ('release', 'sent')):
        config.require_workflow_step(
            kind, 'decline', "the family's Decline button fires this step (recorded as the "
            '"declined" signature event)', from_states=(waiting,))
    for kind in ('consent', 'confidentiality'):
        config.require_workflow_step(
            kind, 'expire', 'the system expires the agreement with this step the day after '
            'its period ends (the daily job, validity), and at majority',
            from_states=('active',), to_state='expired')
    for kind in ('consent', 'release'):
        config.require_workflow_step(
            kind, 'revoke', "the family's Withdraw consent button fires this step (recorded "
            'as the "revoked" signature event)', from_states=('active',))
    for kind, roles in sorted(FAMILY_STATES.items()):
        config.declare_family_states(
            kind, 'a family member reads or signs an agreement only while it waits for '
            'signatures or is in force (a guardian also sees one they declined or revoked)',
            **roles)
    config.include('.evolve')
    config.include('.subscribers')
    config.scan('.views')
    config.scan('.admin_views')
    config.scan('.paper_views')
    # A scanned paper signature is the one file a form takes.
    config.allow_uploads_to('paper-signature')


#: Names other rooms, the seed and the tests import from the room itself.
__all__ = ['Agreement', 'AgreementTemplate', 'SigningError', 'WorkflowError', 'EVENT_OF',
           'start_agreement', 'sign', 'signer_role', 'act', 'activate_if_complete',
           'same_kind', 'newer_issued', 'consenting_party_may_consent']
