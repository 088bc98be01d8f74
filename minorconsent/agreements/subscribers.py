"""What an agreement's steps set off, whatever route fired them.

The staff step page, the family's Decline and Withdraw buttons, the last
signature (the system's ``activate``) and a script all fire steps through
``workflow.engine.fire``; this subscriber does the rest, in this order,
inside the step's transaction (raising aborts the step):

1. The step is recorded among the agreement's e-signature events
   (``EVENT_OF``), with the address and browser of the person who took it
   when they took it in their own request.
2. ``activate`` (into ``active``): its period in force is written on it
   (``validity.start_period``), the signed PDF is stored beside the
   agreement (its hash on the audit chain), and the client's older active
   agreements of the same kind are superseded by the system.
3. Out of waiting for signatures: the open invitations are cancelled.
   Into it (``send``, ``propose``): the signers still missing are invited.
(The therapists are told of a decline or a withdrawal by the worklist
room's staff notices, which subscribe to the same event.)

Mail (the invitations) goes out only for a step a person took in their
own request and announced (``announce``); a step the demo seed replays, or
one fired outside a request or in a script's request, mails nobody, and
its state changes still follow.
"""
from pyramid.threadlocal import get_current_request

from minorconsent.site import find_clinic
from minorconsent.workflow import workflow_guards
from minorconsent.workflow.engine import SYSTEM, Actor, fire
from minorconsent.workflow.events import AfterTransition

from .invitations import invite_signers
from .lifecycle import EVENT_OF, same_kind
from .model import Agreement
from .pdf import store_pdf
from .validity import start_period

#: The states an agreement waits for signatures in; its invitations work
#: only there.
WAITING = ('sent', 'proposed')
#: Steps after which the signers still missing are invited.
INVITING_STEPS = ('send', 'propose')
#: The event (and its detail) a step records when the system takes it.
#: (``expire``: the comment says why, the period's end or majority.)
SYSTEM_EVENTS = {'activate': ('activated', ''), 'supersede': ('superseded', 'by a newer version'),
                 'expire': ('expired', '')}


def agreement_stepped(event):
    agreement = event.object
    if not isinstance(agreement, Agreement):
        return
    request = _own_request(event)
    record_step(event, request)
    if event.transition_id == 'activate':
        # The period in force is written first: the PDF's certificate shows it.
        start_period(agreement, event.now)
        store_pdf(agreement)
    if event.to_state not in WAITING:
        find_clinic(agreement).invitations.cancel(agreement, now=event.now)
    if event.transition_id == 'activate':
        supersede_older(agreement, event)
    if request is None or not event.announce:
        return
    if event.transition_id in INVITING_STEPS and event.to_state in WAITING:
        invite_signers(request, agreement)


def _own_request(event):
    """The current request, when the person signed in to it took the step."""
    request = get_current_request()
    if request is None or event.actor is None or event.actor.id == SYSTEM:
        return None
    if request.authenticated_userid != event.actor.id:
        return None
    return request


def record_step(event, request):
    """The step as an e-signature event: a person's with the comment and
    where they took it from; the system's as ``SYSTEM_EVENTS`` names it."""
    agreement, step = event.object, event.transition_id
    if event.actor.id == SYSTEM and step in SYSTEM_EVENTS:
        kind, detail = SYSTEM_EVENTS[step]
        agreement.add_event(kind, SYSTEM, event.comment or detail, now=event.now)
        return
    ip = user_agent = ''
    if request is not None:
        ip, user_agent = request.client_addr or '', request.user_agent or ''
    agreement.add_event(EVENT_OF.get(step, step), event.actor.id, event.comment, ip, user_agent,
                     now=event.now)


def supersede_older(agreement, event):
    """An agreement in force replaces the client's older ones of its kind
    (for a release: to the same recipient)."""
    guards = workflow_guards(event.registry)
    for older in same_kind(agreement):
        if older.created < agreement.created and older.state == 'active':
            fire(older, 'supersede', Actor.system(), guards, now=event.now,
                 registry=event.registry, announce=event.announce)


def includeme(config):
    config.add_subscriber(agreement_stepped, AfterTransition)
