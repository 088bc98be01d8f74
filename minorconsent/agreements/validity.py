"""How long an agreement is in force, and what its end means.

An agreement text may carry its own validity in months
(``AgreementTemplate.validity_months``: None follows the clinic's
``settings.agreement_validity_months``; 0 means no end).  When an
agreement activates, its period is written on it (``start_period``):
``valid_from`` (the clinic's day it activated) and ``valid_until`` (the
last day it is in force, or None).  A signed term never changes: a later
change of the setting or of the text's validity moves only agreements
activated after it.  Agreements activated before periods existed have
neither (the class defaults), so they have no end.  Every writer of a
period goes through ``set_period``, which keeps the clinic's index of
period ends (``period_ends``) the daily job reads in step.

The period is inclusive: the agreement is in force through the whole of
``valid_until``; it expires on the day after (``expires_on``), the first
day it no longer covers, at the first daily run on or after that day.
12 months from 15 January is in force until 14 January of the next year
and expires on 15 January.

A release of information has its own end (``terms.expires_on``, chosen on
its form); it gets no period of its own here, and neither the renewal nor
the expiry task touches it (``has_period``).

After a consent expires, its signers keep reading what the therapist
published for ``settings.lapsed_access_days`` after ``valid_until``
(``in_grace``), but only where the definition's ``expired`` state grants
the guardian role a permission: an admin who removes it ends that access
at once.
"""
import calendar
from datetime import date, timedelta

from BTrees.OOBTree import OOBTree

from minorconsent.audit.recorder import note
from minorconsent.site import find_clinic
from minorconsent.site import multimap
from minorconsent.site.dates import clinic_zone
from minorconsent.workflow.engine import definition_of

#: The state an agreement's period ends in.
EXPIRED = 'expired'


def add_months(day, months):
    """``day`` moved ``months`` later; the 31st of a shorter month is its
    last day (31 January + 1 month = 28 or 29 February)."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def validity_months(clinic, kind):
    """The months an agreement of ``kind`` started now is in force for:
    its text's own validity, else the clinic's (0: no end)."""
    template = clinic['agreement-templates'].get(kind)
    own = getattr(template, 'validity_months', None) if template is not None else None
    if own is not None:
        return own
    return clinic.settings.agreement_validity_months


def period_end(start, months):
    """The last day in force of a period of ``months`` from ``start``
    (None for 0: no end)."""
    if not months:
        return None
    return add_months(start, months) - timedelta(days=1)


def has_period(agreement):
    """Does this agreement's end come from a period (not a release's terms)?"""
    return getattr(agreement, 'terms', None) is None


def start_period(agreement, now):
    """Write the period on an agreement that just activated (``now``: the
    step's moment, aware)."""
    if not has_period(agreement):
        return
    clinic = find_clinic(agreement)
    day = now.astimezone(clinic_zone(clinic.settings)).date()
    set_period(agreement, day, period_end(day, validity_months(clinic, agreement.kind)))


def period_ends(clinic):
    """``clinic.period_ends``: last day in force -> OOTreeSet of the
    ``workflow_key`` of the agreements ending then, so the daily job's
    renewals and expiries read only the few agreements ending near today
    instead of every one in force (bench/RESULTS.md, issue 17).  An entry
    may be stale (the agreement expired, was superseded, revoked or erased,
    or its end moved): readers check the agreement and drop it
    (``unindex_period``).  Made here if the clinic has none yet."""
    index = getattr(clinic, 'period_ends', None)
    if index is None:
        index = clinic.period_ends = OOBTree()
    return index


def index_period(agreement, clinic=None):
    """Enter the agreement under its last day in force (none: no entry)."""
    until = valid_until(agreement) if has_period(agreement) else None
    key = getattr(agreement, 'workflow_key', None)
    if until is None or key is None:
        return
    multimap.add(period_ends(clinic if clinic is not None else find_clinic(agreement)),
                 until, key)


def unindex_period(index, until, key):
    """Drop one entry (and its day, once empty)."""
    multimap.discard(index, until, key)


def set_period(agreement, valid_from, valid_until):
    """Write an agreement's period and keep ``period_ends`` in step: every
    writer of ``valid_until`` goes through here, or the daily job would
    never see the new end."""
    key = getattr(agreement, 'workflow_key', None)
    old = getattr(agreement, 'valid_until', None)
    if key is not None and old is not None:
        unindex_period(period_ends(find_clinic(agreement)), old, key)
    agreement.valid_from = valid_from
    agreement.valid_until = valid_until
    index_period(agreement)


def valid_until(agreement):
    """The last day the agreement is (or was) in force, or None (no end).
    For a release, the day before its terms end."""
    terms = getattr(agreement, 'terms', None)
    if terms is not None:
        end = getattr(terms, 'expires_on', None)
        return end - timedelta(days=1) if end is not None else None
    return getattr(agreement, 'valid_until', None)


def valid_from(agreement):
    return getattr(agreement, 'valid_from', None)


def expires_on(agreement):
    """The first day not covered (the day the daily job expires it), or None."""
    until = valid_until(agreement)
    return until + timedelta(days=1) if until is not None else None


def renewal_due_on(agreement, settings):
    """The day the renewal is sent, or None (no end, or a release):
    ``renewal_notice_days`` before the last day, but not in the first half
    of the period."""
    until = valid_until(agreement) if has_period(agreement) else None
    if until is None:
        return None
    due = until - timedelta(days=settings.renewal_notice_days)
    start = valid_from(agreement)
    if start is not None:
        # A notice longer than the period would renew the successor the
        # day it activates, and so on every day: never before half of it.
        due = max(due, start + (until - start) / 2)
    return due


def renewal_due(agreement, settings, today):
    """Is the renewal of this agreement in force due (from its day until
    its last day: a run that missed the day catches up)?"""
    due = renewal_due_on(agreement, settings)
    return (due is not None and agreement.state == 'active'
            and due <= today <= valid_until(agreement))


def expiry_due(agreement, today):
    """Is this agreement in force past its last day?"""
    end = expires_on(agreement) if has_period(agreement) else None
    return end is not None and agreement.state == 'active' and today >= end


def family_reads_expired(agreement, role='guardian'):
    """Does the definition the agreement runs under let ``role`` read it
    once expired (the admin's choice)?"""
    workflow = definition_of(agreement)
    if not workflow.has_state(EXPIRED):
        return False
    return bool(workflow.state(EXPIRED).granted(role))


def grace_until(agreement, settings):
    """The last day the signers of an expired consent keep reading, or None."""
    until = valid_until(agreement)
    if until is None:
        return None
    return until + timedelta(days=settings.lapsed_access_days)


def in_grace(agreement, settings, today):
    """An expired agreement whose signers still read what was published:
    expired at the end of its period (not at majority, not before its
    end), within ``lapsed_access_days``, where its definition lets the
    guardian read the expired state."""
    if agreement.state != EXPIRED or not has_period(agreement):
        return False
    until = valid_until(agreement)
    if until is None or not settings.lapsed_access_days:
        return False
    return until < today <= grace_until(agreement, settings) and family_reads_expired(agreement)


def period_note(agreement, settings, today=None):
    """Staff's words for the period (the client page, the agreement page),
    else '' (no period: no end, a release, or not in force yet)."""
    if not has_period(agreement) or valid_from(agreement) is None:
        return ''
    today = today or date.today()
    until = valid_until(agreement)
    if until is None:
        return 'In force from %s, with no end date.' % valid_from(agreement).isoformat()
    words = 'In force from %s until %s.' % (valid_from(agreement).isoformat(), until.isoformat())
    if agreement.state == 'active':
        due = renewal_due_on(agreement, settings)
        if agreement.renewal_handled == until:
            words += ' The renewal was handled (see the events).'
        elif due is not None:
            words += ' The renewal is sent on %s.' % max(due, today).isoformat()
    elif agreement.state == EXPIRED:
        if in_grace(agreement, settings, today):
            words += (' Expired; its signers read the published summaries until %s.'
                      % grace_until(agreement, settings).isoformat())
        else:
            words += ' Expired.'
    return words


def set_validity(template, months, actor_id):
    """The text's own validity (None: the clinic's setting); recorded on
    the audit trail.  True where it changed.  Agreements in force keep the
    period written when they activated."""
    months = None if months is None else int(months)
    if months is not None and not 0 <= months <= 120:
        raise ValueError('Between 0 and 120 months.')
    if months == template.validity_months:
        return False
    template.validity_months = months
    note(template, 'agreement-template.validity', actor=actor_id,
         detail='%s: %s' % (template.kind, 'clinic default' if months is None
                            else '%d months' % months))
    return True


def readable_until(agreement, settings, today=None):
    """For the family page: the last day the signers of a consent lapsed
    within the grace still read what was published, else None."""
    if agreement.kind != 'consent' or not in_grace(agreement, settings, today or date.today()):
        return None
    return grace_until(agreement, settings)
