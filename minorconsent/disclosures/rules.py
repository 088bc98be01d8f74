"""The rules of disclosure: recording a disclosure that was made (and
refusing one the rules do not allow), and the safety notices a guardian
may read.  Plain functions, testable without HTTP; views only call them.
``DisclosureRefused`` names the form field a refusal is about.
"""
from datetime import date


from minorconsent.audit.recorder import note
from minorconsent.workflow import workflow_guards
from minorconsent.workflow.engine import Actor, available, fire, permits, start

from .model import (FAMILY_STATES, INSURER, REASON_TITLES, SAFETY_REASONS, Disclosure,
                    DisclosureRefused, SafetyNotice, client_folder, disclosures_of)
from .releases import ITEM_TITLES, active_since, is_live, live_on

WORKFLOW = 'safety-disclosure'
MAX_TEXT = 5000


def record_disclosure(clinic, client, registry, actor_id, reason, recipient_kind, text,
                      told_on, guardian_id=None, recipient_name='', justification='',
                      release=None, items=(), today=None):
    """Record a disclosure that was made; refuse one the rules do not allow.

    * a guardian of this client may be told for a safety reason, or another
      reason with a written justification;
    * anyone outside the family may be told for a safety reason (risk to
      self or others, suspected abuse, a court order), or else only under a
      live release naming them, and then only the items it names.
    """
    today = today or date.today()
    text = (text or '').strip()
    justification = (justification or '').strip()
    recipient_name = ' '.join((recipient_name or '').split())
    if reason not in REASON_TITLES or reason == INSURER:
        raise DisclosureRefused('reason', 'Choose the legal reason for this disclosure.')
    if not text:
        raise DisclosureRefused('text', 'Write exactly what was disclosed.')
    if len(text) > MAX_TEXT:
        raise DisclosureRefused('text', 'Keep it under %d characters.' % MAX_TEXT)
    if told_on is None or told_on > today:
        raise DisclosureRefused('told_on', 'The date cannot be in the future.')
    if reason == 'other' and len(justification) < 10:
        raise DisclosureRefused('justification',
                                'Write why this disclosure was justified.')
    if recipient_kind == 'guardian':
        if guardian_id not in client['guardians']:
            raise DisclosureRefused('guardian_id', 'Choose one of the client\'s guardians.')
        if reason == 'authorized':
            raise DisclosureRefused('reason', 'A guardian is told for a safety reason, '
                                    'or another reason with a justification.')
        recipient_name = ''
    elif recipient_kind in ('third_party', 'agency'):
        if reason in SAFETY_REASONS:
            if not recipient_name:
                raise DisclosureRefused('recipient_name', 'Name who was told.')
        elif reason == 'authorized':
            if release is not None and release.terms.recipient_kind == 'guardian':
                raise DisclosureRefused('release', 'That release decides what a guardian sees '
                                        'in the portal; nothing is disclosed under it.')
            if release is None or release.workflow_client() is not client:
                raise DisclosureRefused('release', 'Choose a release of this client.')
            if not is_live(release, today):
                raise DisclosureRefused(
                    'release', 'This release is not live (unsigned, revoked or past '
                    'its end date): nothing may be shared under it.')
            if not live_on(release, told_on):
                raise DisclosureRefused(
                    'told_on', 'The release was not in force on that date (it was signed '
                    'on %s).' % active_since(release).isoformat())
            items = tuple(items)
            if not items:
                raise DisclosureRefused('items', 'Choose what was shared.')
            beyond = [i for i in items if i not in release.terms.items]
            if beyond:
                raise DisclosureRefused('items', 'The release does not cover: %s.' % ', '.join(
                    ITEM_TITLES.get(i, i) for i in beyond))
            recipient_name = release.terms.recipient
            recipient_kind = release.terms.recipient_kind
        else:
            raise DisclosureRefused(
                'reason', 'Outside the safety exceptions, information goes to someone '
                'outside the family only under a live release of information.')
        guardian_id = None
    else:
        raise DisclosureRefused('recipient_kind', 'Choose who was told.')
    disclosure = Disclosure(reason, recipient_kind, text, told_on, actor_id,
                            guardian_id=guardian_id, recipient_name=recipient_name,
                            justification=justification,
                            release_ref=release.__name__ if release is not None else None,
                            items=items if reason == 'authorized' else ())
    client_folder(client, 'disclosures').add(disclosure)
    start_disclosure(disclosure, registry, actor_id)
    return disclosure


def start_disclosure(disclosure, registry, actor_id):
    """Put a new disclosure under its workflow and on the trail."""
    start(disclosure, WORKFLOW, actor_id)
    note(disclosure, 'disclosure.record', actor=actor_id,
         detail='%s to %s' % (disclosure.reason, disclosure.recipient_kind))
    # Where no supervisor can sign off, the system records it at once.
    guards = workflow_guards(registry)
    for step in available(disclosure, Actor.system(), guards):
        if step.id == 'record_without_signoff':
            fire(disclosure, step.id, Actor.system(), guards)


def safety_notices(client, guardian_id, principals):
    """The ``SafetyNotice``s addressed to this guardian that they may read."""
    found = [SafetyNotice(told_on=d.told_on, text=d.text)
             for d in disclosures_of(client)
             if d.recipient_kind == 'guardian' and d.guardian_id == guardian_id
             and d.state in FAMILY_STATES['guardian']      # belt and braces
             and d.history.entered_by_step(d.state)        # signed off (or recorded) by a step
             and permits(d, principals, 'view-published')]
    return tuple(sorted(found, key=lambda n: n.told_on, reverse=True))
