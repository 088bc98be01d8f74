"""Closing a case, and how long its records are kept.

The therapist closes a case with the date of the last service and a
reason (for staff).  From then on:

* the case leaves the staff's working lists (their closed cases list it);
* guardians, and the client on their own sign-in, keep reading what was
  published for ``closed_case_access_days`` after the last service, then
  lose access (``Client.family_access_open``, asked by every family
  access rule of ``model``);
* the records are kept for ``retention_years`` after the last service,
  and for a client who was a minor then at least until the age of
  ``retention_until_age`` (whichever is later); after that
  ``minorconsent-retention`` erases them (``retention``).

A closed case can be reopened (a family comes back): everything is as it
was, and the dates above count again from the next closure.
"""
from dataclasses import dataclass
from datetime import date, datetime

from minorconsent.audit.recorder import note
from minorconsent.site.clock import utcnow

from .model import age_on


@dataclass(frozen=True)
class CaseClosure:
    last_service: date
    reason: str          # for staff only; never shown to a family
    actor_id: str
    recorded: datetime


class CaseClosingError(ValueError):
    """A closure or reopening that cannot be done; the message says why."""


def close_case(clinic, client, last_service, reason, actor_id, today=None):
    today = today or date.today()
    if getattr(client, 'closure', None) is not None:
        raise CaseClosingError('The case is already closed.')
    if last_service > today:
        raise CaseClosingError('The last service cannot be in the future.')
    if last_service < client.date_of_birth:
        raise CaseClosingError('The last service cannot be before the client was born.')
    client.closure = CaseClosure(last_service, reason, actor_id, utcnow())
    clinic['clients'].reindex(client)
    note(client, 'client.case_closed', actor=actor_id,
         detail='last service %s' % last_service.isoformat())


def reopen_case(clinic, client, actor_id):
    if getattr(client, 'closure', None) is None:
        raise CaseClosingError('The case is open.')
    client.closure = None
    clinic['clients'].reindex(client)
    note(client, 'client.case_reopened', actor=actor_id)


def _years_after(day, years):
    try:
        return day.replace(year=day.year + years)
    except ValueError:                     # 29 February
        return day.replace(year=day.year + years, day=28)


def retained_until(client, settings):
    """The last day a closed case's records must be kept, or None (open)."""
    closure = getattr(client, 'closure', None)
    if closure is None:
        return None
    years, until_age = settings.retention_rule()
    keep = _years_after(closure.last_service, years)
    if age_on(client.date_of_birth, closure.last_service) < settings.age_of_majority:
        keep = max(keep, _years_after(client.date_of_birth, until_age))
    return keep


def retention_rule(settings):
    """The rule in words, for the audit trail and the operator."""
    years, until_age = settings.retention_rule()
    return ('%s: %d years after the last service; a minor at least until age %d'
            % (settings.jurisdiction, years, until_age))
