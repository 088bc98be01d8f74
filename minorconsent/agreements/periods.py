"""The daily job's renewals and expiries of agreements with a period
(``validity``).

``renewals`` (order 20): from ``settings.renewal_notice_days`` before an
agreement's last day in force (``validity.renewal_due``), the daily job
sends its successor: an agreement of the same kind, for the signers still
eligible, on the CURRENT version of its text (``renewal.send_successor``,
the same function as the therapist's "ask to sign the new version").  The
step that sends it is the therapist's (the shipped definitions give
``send``/``propose`` to the therapist alone), so the job takes it as the
client's first active therapist, and the agreement's events say the
system did it.  Where a newer agreement already waits for signatures, or
none can be sent (no therapist, no eligible signer, the definition does
not allow it), nothing is sent and the reason is recorded among the
agreement's events.  Either way ``Agreement.renewal_handled`` keeps the
``valid_until`` handled, so each period is renewed once, whatever runs
again.  The invitations are mailed to the signers, so inside quiet hours
the task postpones itself (``run.postpone``) when anything is due.

``expiries`` (order 30): on the day after an agreement's last day in
force (or the first run after it), the agreement takes the ``expire``
step as the system, recorded in its history ("its period ended"), among
its events (``expired``) and on the audit trail, ids only.  A renewal
signed before then has already superseded it (``subscribers``); one
signed later supersedes nothing (an expired agreement is not in force).
A definition in which the system may not expire leaves it as it is (the
validator requires the step, so only an old stored definition can).
"""
from minorconsent.security.policy import principals_for
from minorconsent.workflow import workflow_guards
from minorconsent.workflow.engine import SYSTEM, Actor, available, fire

from .invitations import invite_signers
from .kinds import KIND_CONTENT_TYPES
from .model import Agreement
from .renewal import renewal_waiting, send_successor
from .validity import expiry_due, renewal_due, valid_until

#: The comment of the system's expire step (the history's words).
EXPIRED_BECAUSE = 'the period of the agreement ended'


def in_force(run):
    """The agreements in force with a workflow the room drives, walked
    from the workflow index (not every client).  The index's members are
    listed first (a step taken while walking moves them out of it), but
    each agreement is loaded only when its turn comes and not kept, so
    ``run.tick()`` lets the cache shed it: at 50,000 clients keeping them
    all cost about 130 MB (bench/RESULTS.md)."""
    for obj in list(run.clinic['workflows'].members_in(('active',), KIND_CONTENT_TYPES)):
        run.tick()
        if isinstance(obj, Agreement):
            yield obj


def due_renewals(run):
    settings = run.clinic.settings
    return [a for a in in_force(run)
            if renewal_due(a, settings, run.today) and a.renewal_handled != a.valid_until]


def sender_for(clinic, agreement):
    """The client's first active therapist, as an actor, or None."""
    users = clinic['users']
    for tid in agreement.workflow_client().therapist_ids:
        user = users.get(tid)
        if user is not None and user.active:
            return Actor(tid, tuple(principals_for(user)))
    return None


def renew(run, agreement):
    """Send the successor of one agreement (or record why not); return
    the new agreement or None."""
    clinic = run.clinic
    agreement.renewal_handled = agreement.valid_until
    waiting = renewal_waiting(agreement)
    if waiting is not None:
        agreement.add_event('renewal not sent', SYSTEM, 'agreement %s already waits for '
                            'signatures' % waiting.__name__, now=run.now)
        return None
    actor = sender_for(clinic, agreement)
    if actor is None:
        agreement.add_event('renewal not sent', SYSTEM, 'the client has no active therapist',
                            now=run.now)
        return None
    savepoint = run.request.tm.savepoint()
    try:
        new = send_successor(clinic, run.registry, agreement, actor, run.today, now=run.now,
                             announce=False)
    except ValueError as exc:
        # The successor started and could not be sent: it goes, the reason stays.
        savepoint.rollback()
        agreement.renewal_handled = agreement.valid_until
        agreement.add_event('renewal not sent', SYSTEM, str(exc), now=run.now)
        return None
    invite_signers(run.request, new, now=run.now)
    agreement.add_event('renewal sent', SYSTEM, 'agreement %s, its period ends %s'
                        % (new.__name__, valid_until(agreement).isoformat()), now=run.now)
    return new


def renewals(run):
    """The daily task: every renewal due today, once."""
    due = due_renewals(run)
    if due and run.quiet:
        run.postpone()
    sent = not_sent = 0
    for agreement in due:
        if renew(run, agreement) is None:
            not_sent += 1
        else:
            sent += 1
    return {'renewals sent': sent, 'renewals not sent': not_sent}


def expiries(run):
    """The daily task: every agreement past its last day expires, as the
    system."""
    guards = workflow_guards(run.registry)
    expired = left = 0
    for agreement in in_force(run):
        if not expiry_due(agreement, run.today):
            continue
        if not any(t.id == 'expire'
                   for t in available(agreement, Actor.system(), guards, run.today)):
            left += 1
            continue
        fire(agreement, 'expire', Actor.system(), guards, comment=EXPIRED_BECAUSE,
             now=run.now, today=run.today, registry=run.registry, announce=False)
        expired += 1
    return {'agreements expired': expired, 'not expirable': left}


def includeme(config):
    config.add_daily_task('renewals', renewals, order=20)
    config.add_daily_task('expiries', expiries, order=30)
