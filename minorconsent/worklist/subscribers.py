"""What tells staff that something waits for them, whatever fired it.

* a family member signs an agreement (``agreements.events.Signed``; a
  signature staff record from paper is their own doing, not news);
* a family member declines or withdraws (``decline``, ``revoke``);
* the client asks for changes to a summary in review (``return_to_draft``
  taken by the client's own account);
* a summary or disclosure steps into a state only a supervisor can move it
  on from (read from the workflow definition: ``sections.awaiting_supervisor``):
  its supervisors are told.

* a summary or disclosure is *created* in such a state (a disclosure
  starts awaiting the supervisor's sign-off: ``workflow.events.Started``),
  when a person signed in to the request records it.  One a script
  starts (the demo seed, an import) is left to the daily
  ``staff-awaiting`` sweep, which mails from the daily run's request; the
  notice's key is the same (the document and the time it entered its
  state), so nobody is told twice.

A step replayed with ``announce=False`` (the demo seed, a migration) tells
nobody.  The mail is queued in the current request's transaction
(``notices.notify_staff``), so it leaves only if the step commits; where
no person is signed in to the request (a script: the seed's signatures),
the notice is kept and nobody is mailed.
"""
from pyramid.threadlocal import get_current_request

from minorconsent.agreements.events import Signed
from minorconsent.agreements.model import Agreement
from minorconsent.disclosures.model import Disclosure
from minorconsent.site import find_clinic
from minorconsent.summaries.model import Summary
from minorconsent.workflow.events import AfterTransition, Started

from .notices import notify_staff
from .sections import awaiting_supervisor, awaits_supervisor

#: Family steps on an agreement, and the notice each one gives.
AGREEMENT_STEPS = {'decline': 'declined', 'revoke': 'revoked'}
CHANGES_ASKED = 'return_to_draft'


def _request():
    """The current request when a person is signed in to it: a script's
    request (the demo seed, a migration) mails nobody, though the notice
    is kept."""
    request = get_current_request()
    if request is None or not getattr(request, 'authenticated_userid', None):
        return None
    return request


def _key(kind, obj, now):
    return '%s:%s:%s' % (kind, obj.workflow_key, now.isoformat())


def signature_added(event):
    """A family member's signature: the client's therapists are told."""
    if event.on_paper:
        return
    agreement = event.agreement
    client = agreement.workflow_client()
    notify_staff(find_clinic(agreement), _request(), client.therapist_ids, 'signed',
                 client.__name__, key=_key('signed:' + event.signer_id, agreement, event.now),
                 now=event.now)


def step_taken(event):
    if not event.announce:
        return
    obj, step = event.object, event.transition_id
    if isinstance(obj, Agreement) and step in AGREEMENT_STEPS:
        _tell_therapists(obj, AGREEMENT_STEPS[step], event)
    elif isinstance(obj, Summary) and step == CHANGES_ASKED:
        client = obj.workflow_client()
        if client.self_account_id and event.actor.id == client.self_account_id:
            _tell_therapists(obj, 'changes_asked', event)
    if isinstance(obj, (Summary, Disclosure)) and awaiting_supervisor(obj):
        tell_supervisors(obj, event.now)


def started(event):
    """A document that starts waiting for its supervisor (a disclosure a
    therapist records): the supervisors are told at once."""
    obj = event.object
    if not event.announce or not isinstance(obj, (Summary, Disclosure)):
        return
    if not awaits_supervisor(event.workflow, event.state):
        return
    request = _request()
    if request is None:
        return
    tell_supervisors(obj, event.now, request)


def _tell_therapists(obj, kind, event):
    client = obj.workflow_client()
    notify_staff(find_clinic(obj), _request(), client.therapist_ids, kind, client.__name__,
                 key=_key(kind, obj, event.now), now=event.now)


def tell_supervisors(obj, now, request=None):
    """The supervisors of the document's client (named on the client, or of
    its therapists) are told it waits for them; once per document and
    state entry."""
    clinic = find_clinic(obj)
    client = obj.workflow_client()
    entered = obj.history.latest().time if obj.history.latest() is not None else now
    return notify_staff(clinic, request if request is not None else _request(),
                        client.supervisor_ids(clinic['users']), 'awaiting_supervisor',
                        client.__name__, key=_key('supervisor', obj, entered), now=now)


def includeme(config):
    config.add_subscriber(signature_added, Signed)
    config.add_subscriber(step_taken, AfterTransition)
    config.add_subscriber(started, Started)
