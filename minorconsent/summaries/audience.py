"""Who a summary reaches, asked before it is published.

* ``summary_readers``: the guardians who could read it once published,
  and, when there are none, why in plain words.  The answer is
  ``clients.family.FamilyAccess``'s (entitled today, and a scope from their
  own active consent or a release of the client's), the same one the parent
  view and the summary's local roles use, so the therapist's warning and
  the staff preview never disagree with what a guardian will see.
* ``review_required``: the clinic's ``teen_review_age``.  Empty, the
  client's review is the therapist's choice per summary; a number N, every
  summary of a client aged N or more who has their own sign-in (an active
  account holding the adolescent role) goes to the client first, and the
  publishing guard (``guards.minor_agreed_if_reviewed``) lets it reach the
  guardians only with the client's agreement to its text.
"""
from dataclasses import dataclass
from datetime import date

from minorconsent.clients.family import family_access
from minorconsent.site import find_clinic


@dataclass(frozen=True)
class Readers:
    guardian_ids: tuple           # who could read it once published, in link order
    why_nobody: str = ''          # in plain words, when nobody could


def summary_readers(client, today=None):
    """The guardians who would read a summary of ``client`` published now."""
    clinic = find_clinic(client)
    users = clinic['users']
    access = family_access(client, today)
    entitled = [gid for gid in access.entitled_guardian_ids
                if gid in users and users[gid].active and users[gid].has_role('guardian')]
    readers = tuple(gid for gid in entitled if access.scope_of(gid))
    if readers:
        return Readers(readers)
    if not client.is_minor(clinic.settings, today):
        why = ('The client is an adult: guardians no longer see anything of their care.')
    elif access.consents_alone:
        why = ('The client consents to their own care and has not released goals or '
               'summaries to any guardian.')
    elif not entitled:
        why = ('No guardian may use the family portal: none is linked with legal authority '
               'and without a court restriction.')
    else:
        why = ('No consent to treatment is active, so no guardian can see summaries yet.')
    return Readers((), why)


def own_account_holder(client):
    """The client's own account while it counts (active, holding the
    adolescent role), else None."""
    uid = client.self_account_id
    if not uid:
        return None
    user = find_clinic(client)['users'].get(uid)
    if user is None or not user.active or not user.has_role('adolescent'):
        return None
    return user


def review_required(client, settings, today=None):
    """Must every summary of ``client`` go to the client for review first
    (``teen_review_age``)?  Never while the setting is empty."""
    age = getattr(settings, 'teen_review_age', None)
    if age is None or client is None:
        return False
    if own_account_holder(client) is None:
        return False
    return client.age(today or date.today()) >= age


def review_required_reason(settings):
    return ('The clinic asks that every summary of a client aged %d or over who has their '
            'own sign-in is reviewed by the client first: it can be published once they '
            'agree to this text.' % settings.teen_review_age)
