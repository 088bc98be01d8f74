"""Releases of information: an authorization, signed by the consenting
party, naming a recipient, the items that may be shared, a purpose and an
end date.  It is an agreement of kind ``release`` (signing, invitations,
revocation, PDF and FHIR export come with it); this module adds its terms
and the one question disclosures ask: is it live today?
"""
from dataclasses import dataclass
from datetime import date
import hashlib

from minorconsent.agreements import start_agreement
from minorconsent.agreements.model import client_consents_alone
from minorconsent.clients.family import family_access
from minorconsent.site.i18n import _

from .model import DisclosureRefused

RELEASE_ITEMS = (
    ('attendance', _('Dates of attendance')),
    ('goals', _('Treatment goals and progress')),
    ('summaries', _('Published progress summaries')),
    ('diagnosis', _('Diagnosis')),
    ('medications', _('Medications')),
    ('recommendations', _('Treatment recommendations')),
)
ITEM_TITLES = dict(RELEASE_ITEMS)


#: What a client who consents alone may let a guardian see in the portal.
GUARDIAN_ITEMS = ('goals', 'summaries')


@dataclass(frozen=True)
class ReleaseTerms:
    recipient: str
    recipient_kind: str      # 'third_party', 'agency' or 'guardian'
    items: tuple
    purpose: str
    expires_on: date
    guardian_id: str = ''    # for 'guardian': the linked guardian it names

    def as_text(self):
        return '\n'.join((
            'Recipient: %s' % self.recipient,
            'Information that may be shared: %s' % '; '.join(
                ITEM_TITLES[item] for item in self.items),
            'Purpose: %s' % self.purpose,
            'This authorization ends on: %s' % self.expires_on.isoformat(),
        ))


def minor_consents_alone(client):
    """Is the client's care running under their own active consent?"""
    return client_consents_alone(client)


def start_release(clinic, client, actor_id, terms, today=None):
    """A draft release for ``client``, to be signed by its consenting party:
    the client where they consent alone, else the guardians with authority.

    A release to a guardian is how a client who consents alone lets a
    parent see their goals or summaries in the portal; it names a linked
    guardian and only those items.
    """
    today = today or date.today()
    if terms.expires_on <= today:
        raise DisclosureRefused('expires_on', 'The end date must be in the future.')
    alone = minor_consents_alone(client)
    if terms.recipient_kind == 'guardian':
        if not alone:
            raise DisclosureRefused(
                'recipient_kind', 'Guardians who consent already see goals and summaries; '
                'a release to a guardian is for a client who consents alone.')
        if terms.guardian_id not in client['guardians']:
            raise DisclosureRefused('guardian_id', 'Choose one of the client\'s guardians.')
        if not terms.items or set(terms.items) - set(GUARDIAN_ITEMS):
            raise DisclosureRefused('items', 'A guardian can be shown goals and progress, '
                                    'and published summaries, and nothing else.')
    release = start_agreement(clinic, client, 'release', actor_id,
                              assent_required=False, minor_consents=alone, today=today)
    release.terms = terms
    release.text = release.text.rstrip('\n') + '\n\n' + terms.as_text() + '\n'
    release.text_sha256 = hashlib.sha256(release.text.encode('utf-8')).hexdigest()
    return release


def is_live(release, today=None):
    """Signed, not revoked, superseded or ended, and not past its end date."""
    terms = getattr(release, 'terms', None)
    return (release.kind == 'release' and terms is not None
            and release.state == 'active'
            and (today or date.today()) <= terms.expires_on)


def active_since(release):
    """The day the release became active (its last activation)."""
    # The step that activated it, never a later move to a new workflow version.
    days = [e.time.date() for e in release.history.steps() if e.to_state == 'active']
    return days[-1] if days else None


def live_on(release, day):
    """Was this (live) release in force on ``day``: signed by then and not
    past its end date?  Disclosures cannot be backdated before it."""
    since = active_since(release)
    return since is not None and since <= day <= release.terms.expires_on


def releases_of(client):
    if 'agreements' not in client:
        return []
    return sorted((a for a in client['agreements'].values() if a.kind == 'release'),
                  key=lambda a: a.created)


def live_releases(client, today=None):
    return [r for r in releases_of(client) if is_live(r, today)]


def items_released_to_guardian(client, guardian_id, today=None):
    """What the client, consenting alone, lets this guardian see now
    (``FamilyAccess.released_to``)."""
    return family_access(client, today).released_to(guardian_id)


def released_to_guardians(client, today=None):
    """This room's fact for ``clients.family``: ``((guardian id, items),
    ...)`` of the live releases to guardians, where the client consents
    alone."""
    if not minor_consents_alone(client):
        return ()
    items = {}
    for release in live_releases(client, today):
        if release.minor_consents and release.terms.recipient_kind == 'guardian':
            items.setdefault(release.terms.guardian_id, set()).update(release.terms.items)
    return tuple(sorted((gid, frozenset(held)) for gid, held in items.items()))
