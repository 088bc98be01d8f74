"""Agreements on an older version of their text, and asking the family to
sign the newest one.

When the admin saves a new version of a text, agreements in force keep the
version they were signed on (a signed text never changes).  Staff are told
beside each such agreement that it is on an old version, and "ask to sign
the new version" starts an agreement of the same kind for the same signers
on the newest text and sends it out.  The old one stays in force until the
new one activates and supersedes it (``subscribers.supersede_older``); if
the family never signs, nothing is lost.
"""
from datetime import date

from minorconsent.site import find_clinic
from minorconsent.workflow import workflow_guards
from minorconsent.workflow.engine import WorkflowError, available, fire

from .kinds import sending_step
from .lifecycle import same_kind, start_agreement
from .model import age_note, default_signers, text_hash
from .validity import period_note

#: States an agreement waits for signatures in.
WAITING = ('sent', 'proposed')


def versions_of(agreement):
    """``(its version, the newest)`` of the agreement's text."""
    template = find_clinic(agreement)['agreement-templates'].get(agreement.kind)
    latest = template.current.number if template is not None else agreement.template_version
    return agreement.template_version, latest


def on_old_version(agreement):
    """Is this agreement in force on a version older than the newest?"""
    version, latest = versions_of(agreement)
    return agreement.state == 'active' and version < latest


def version_note(agreement, settings=None, today=None):
    """Staff's words beside an agreement in force on an old text, else ''."""
    if not on_old_version(agreement):
        return ''
    version, latest = versions_of(agreement)
    words = 'On version %d of %d of its text' % (version, latest)
    if renewal_waiting(agreement) is not None:
        return words + ': the new version waits for signatures.'
    return words + '.'


def staff_note(agreement, settings, today=None):
    """Everything staff are told beside an agreement on the client page
    (``config.add_document_note``)."""
    return ' '.join(n for n in (age_note(agreement, settings, today),
                                version_note(agreement),
                                period_note(agreement, settings, today)) if n)


def renewal_waiting(agreement):
    """A newer agreement of the same kind waiting for signatures, or None."""
    for other in same_kind(agreement):
        if other.created > agreement.created and other.state in WAITING:
            return other
    return None


def ask_to_sign_new_version(clinic, registry, agreement, actor, today=None):
    """Start an agreement of the same kind, for the same signers, on the
    newest text, and send it (its signers are invited by the sending step).
    ``ValueError`` with the reason, nothing to keep, otherwise: the caller
    discards the transaction."""
    today = today or date.today()
    if not on_old_version(agreement):
        raise ValueError('Only an agreement in force on an old version of its text can be '
                         'renewed.')
    new = send_successor(clinic, registry, agreement, actor, today)
    agreement.add_event('new version sent', actor.id, 'agreement %s' % new.__name__)
    return new


def send_successor(clinic, registry, agreement, actor, today, now=None, announce=True):
    """The one way a successor is made, for the therapist's "ask to sign
    the new version" and the daily renewal (``periods``): an agreement of
    the same kind, for the same signers still eligible, on the CURRENT
    version of its text, sent with the kind's sending step by ``actor``.
    ``ValueError`` with the reason, nothing to keep, otherwise (the caller
    discards the transaction, or records the reason)."""
    if renewal_waiting(agreement) is not None:
        raise ValueError('The new version was sent already and waits for signatures.')
    terms = getattr(agreement, 'terms', None)
    if terms is not None and getattr(terms, 'expires_on', today) <= today:
        raise ValueError('This release has ended: start a new release instead.')
    client = agreement.workflow_client()
    guardians = None
    if agreement.required_guardians:
        eligible = set(default_signers(client, clinic.settings, today))
        guardians = [g for g in agreement.required_guardians if g in eligible]
    new = start_agreement(clinic, client, agreement.kind, actor.id,
                          required_guardians=guardians,
                          assent_required=agreement.assent_required,
                          minor_consents=agreement.minor_consents, today=today)
    if terms is not None:
        # A release's terms are part of the text signed (as when it began).
        new.terms = terms
        new.text = new.text.rstrip('\n') + '\n\n' + terms.as_text() + '\n'
        new.text_sha256 = text_hash(new.text)
    step = sending_step(clinic, new.workflow_id)
    guards = workflow_guards(registry)
    if not any(t.id == step for t in available(new, actor, guards, today)):
        raise ValueError('The new version cannot be sent for this client now.')
    try:
        fire(new, step, actor, guards, now=now, today=today, registry=registry,
             announce=announce)
    except WorkflowError as exc:
        raise ValueError(str(exc)) from exc
    return new
