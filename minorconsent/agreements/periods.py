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

Both read only the agreements whose last day is near today, from the
clinic's index of period ends (``validity.period_ends``, written by
``validity.set_period``; ``ending``): renewals those ending from today
through ``renewal_notice_days`` ahead, expiries those that ended before
today.  Walking every agreement in force took 28-44 s a day at 50,000
clients (bench/RESULTS.md, issue 17).
"""
from datetime import timedelta

from minorconsent.security.policy import principals_for
from minorconsent.workflow import workflow_guards
from minorconsent.workflow.engine import SYSTEM, Actor, available, fire

from .invitations import invite_signers
from .kinds import KIND_CONTENT_TYPES
from .model import Agreement
from .renewal import renewal_waiting, send_successor
from .validity import (expiry_due, has_period, index_period, period_ends, renewal_due,
                       unindex_period, valid_until)

#: The comment of the system's expire step (the history's words).
EXPIRED_BECAUSE = 'the period of the agreement ended'


def agreement_by_key(records, key):
    """The agreement of ``key`` among the room's workflow records, or None."""
    for record in records:
        obj = record.members.get(key)
        if obj is not None:
            return obj
    return None


def ending(run, first=None, last=None):
    """The agreements in force whose last day is from ``first`` through
    ``last`` (None: open), walked from ``validity.period_ends`` rather
    than every agreement in force: the daily job reads only those ending
    near today (issue 17: at 50,000 clients the whole walk took 28-44 s a
    day).  The keys of a day are listed before its agreements are loaded
    (a step taken while walking changes the index), and each is loaded
    only when its turn comes and not kept (``run.tick()``).  An entry
    whose agreement is gone or no longer in force is dropped as it is met;
    one whose end moved is moved to it."""
    clinic = run.clinic
    index = period_ends(clinic)
    records = [r for r in list(clinic['workflows'].values())
               if r.definition().content_type in KIND_CONTENT_TYPES]
    days = list(index.keys(first, last))
    ahead = set(days)
    for until in days:
        for key in list(index.get(until, ())):
            run.tick()
            obj = agreement_by_key(records, key)
            if not isinstance(obj, Agreement) or obj.state != 'active' or not has_period(obj):
                unindex_period(index, until, key)
                continue
            if valid_until(obj) != until:
                unindex_period(index, until, key)
                index_period(obj, clinic)
                end = valid_until(obj)
                if end is None or (first is not None and end < first) or (
                        last is not None and end > last) or (end > until and end in ahead):
                    continue      # out of the range, or met again on its day
            yield obj


def due_renewals(run):
    """The renewals due today: a renewal is due from at most
    ``renewal_notice_days`` before an agreement's last day (the "not in
    the first half" rule only makes it later) through that day, so only
    the agreements ending in that window are read (a day's margin)."""
    settings = run.clinic.settings
    last = run.today + timedelta(days=settings.renewal_notice_days + 1)
    return [a for a in ending(run, run.today, last)
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
    for agreement in ending(run, None, run.today - timedelta(days=1)):
        if not expiry_due(agreement, run.today):
            continue
        if not any(t.id == 'expire'
                   for t in available(agreement, Actor.system(), guards, run.today)):
            left += 1
            continue
        fire(agreement, 'expire', Actor.system(), guards, comment=EXPIRED_BECAUSE,
             now=run.now, today=run.today, registry=run.registry, announce=False)
        unindex_period(period_ends(run.clinic), valid_until(agreement), agreement.workflow_key)
        expired += 1
    return {'agreements expired': expired, 'not expirable': left}


def includeme(config):
    config.add_daily_task('renewals', renewals, order=20)
    config.add_daily_task('expiries', expiries, order=30)
