"""What a guardian may learn from the audit trail: who at the clinic read
or changed their child's progress summaries, and when; and when the
clinic's record system (an EHR reading the FHIR API) read an agreement or
the goals this guardian may read, never which system.

Built as frozen ``AccessView``s from entries already on the chain (plain
strings: a staff member's display name, a role title, a day and what they
did), so a guardian-facing page never touches the log itself.  Entries of
the family's own reads, of other records, and of anything but summaries
are not shown.
"""
from dataclasses import dataclass
from datetime import datetime, timezone

from minorconsent.site.i18n import _

STAFF_ROLES = {'therapist': _('Therapist'), 'supervisor': _('Clinical supervisor')}


@dataclass(frozen=True)
class AccessView:
    day: datetime     # when (aware UTC); the page writes the clinic's day
    who: str          # the staff member's display name
    role: str         # their role at the clinic, in words
    what: str         # "Read a progress summary", ...


def _moment(at):
    """The entry's ISO time as an aware datetime (UTC when it names no
    zone)."""
    moment = datetime.fromisoformat(at)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _what(entry):
    action = entry['action']
    if action.startswith('GET ') and action.endswith('.preview'):
        return _('Previewed a progress summary')
    if action.startswith('GET '):
        return _('Read a progress summary')
    return _('Worked on a progress summary')


def _newest_first(audit_log, client_id):
    """The entries on ``client_id``'s record, newest first, read one by one
    from the trail's index (a caller that has enough stops the walk)."""
    seqs = audit_log.by_record.get(client_id) if audit_log is not None else None
    if seqs is None:
        return
    keys = seqs.keys()
    for index in range(len(keys) - 1, -1, -1):
        yield audit_log.get(keys[index])


def summary_accesses(audit_log, client_id, users, visible_refs, limit=200):
    """Staff accesses to the summaries in ``visible_refs`` (those this
    guardian may read now), newest first.  Reads of drafts, of summaries in
    the client's review or withdrawn, are not the guardian's to know of."""
    found = []
    for entry in _newest_first(audit_log, client_id):
        target = entry['target'].split('/')
        if len(target) < 2 or target[0] != 'summaries' or target[1] not in visible_refs \
                or entry['outcome'] == 'denied':
            continue
        if entry['action'].startswith('workflow.'):
            continue    # the POST that fired it is already listed
        roles = [STAFF_ROLES[r] for r in entry['role'].split() if r in STAFF_ROLES]
        user = users.get(entry['actor'])
        if not roles or user is None:
            continue
        found.append(AccessView(day=_moment(entry['at']), who=user.display_name,
                                role=', '.join(roles), what=_what(entry)))
        if len(found) >= limit:
            break
    return tuple(found)


#: The clinic's record system's reads (``fhir.read``/``fhir.search`` by an
#: ``api-client``), by the part of the client's record, in words.
SYSTEM_READ_WORDS = {'agreements': _('Read an agreement'),
                     'goals': _("Read your child's goals")}


@dataclass(frozen=True)
class SystemReadView:
    day: datetime     # when (aware UTC)
    what: str         # "Read an agreement", ...


def record_system_reads(audit_log, client_id, agreement_refs, goals_visible, limit=100):
    """The record system's reads of the agreements in ``agreement_refs``
    (those this guardian may read now) and, where the guardian reads the
    goals, of the goals, newest first, one line per day and kind.  Its
    reads of anything else (the client's identifier, a guardian link) and
    the system's id are not the guardian's to know of."""
    found, seen = [], set()
    for entry in _newest_first(audit_log, client_id):
        if entry['role'] != 'api-client' or entry['action'] not in ('fhir.read', 'fhir.search'):
            continue
        target = entry['target'].split('/')
        part = target[0] if len(target) >= 2 else ''
        if part == 'agreements' and target[1] not in agreement_refs:
            continue
        if part not in SYSTEM_READ_WORDS or (part == 'goals' and not goals_visible):
            continue
        day = _moment(entry['at'])
        if (day.date(), part) in seen:
            continue
        seen.add((day.date(), part))
        found.append(SystemReadView(day=day, what=SYSTEM_READ_WORDS[part]))
        if len(found) >= limit:
            break
    return tuple(found)
