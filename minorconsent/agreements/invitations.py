"""Invitations to sign: single-use links that expire, stored as hashes.

The link carries a random token; the database keeps only its SHA-256, so a
copy of the database opens nothing.  The email says only that there is a
document to review on the portal: no child, no therapist, no therapy.
"""
import secrets
from datetime import timedelta

from BTrees.OOBTree import OOBTree
from persistent import Persistent

from minorconsent.site import multimap
from minorconsent.site.i18n import _, localizer_for
from minorconsent.site.canonical import public_url
from minorconsent.site.clock import utcnow
from minorconsent.site.mail import may_email, send
from minorconsent.security.policy import principals_for
from minorconsent.security.tokens import token_hash
from minorconsent.site.links import SingleUseLink
from minorconsent.workflow.engine import permits

from .signing import signer_role


class Invitation(SingleUseLink):
    """A link inviting ``person_id`` to read and sign one agreement."""

    def __init__(self, client_id, agreement_id, person_id, email, created, expires):
        self.client_id = client_id
        self.agreement_id = agreement_id
        self.person_id = person_id
        self.email = email
        self.created = created
        self.expires = expires


class Invitations(Persistent):
    """``clinic.invitations``: by token hash and by agreement."""

    def __init__(self):
        self.by_hash = OOBTree()
        self.by_agreement = OOBTree()   # agreement workflow_key -> OOTreeSet of hashes

    def issue(self, agreement, person, days, now=None):
        """A new invitation for ``person``; returns the token (for the link).

        Any earlier valid invitation of the same person to the same
        agreement is cancelled, so only the newest link works.
        """
        now = now or utcnow()
        self.cancel(agreement, person.__name__, now)
        token = secrets.token_urlsafe(32)
        key = token_hash(token)
        client = agreement.workflow_client()
        self.by_hash[key] = Invitation(client.__name__, agreement.__name__, person.__name__,
                                       person.email, now, now + timedelta(days=days))
        multimap.add(self.by_agreement, agreement.workflow_key, key)
        return token

    def find(self, token):
        if not token or len(token) > 100:
            return None
        return self.by_hash.get(token_hash(token))

    def for_agreement(self, agreement):
        return [self.by_hash[k] for k in self.by_agreement.get(agreement.workflow_key, ())]

    def cancel(self, agreement, person_id=None, now=None):
        """Cancel valid invitations to ``agreement`` (of one person, or all)."""
        now = now or utcnow()
        cancelled = 0
        for invitation in self.for_agreement(agreement):
            if (person_id is None or invitation.person_id == person_id) \
                    and invitation.status(now) == 'valid':
                invitation.cancelled = now
                cancelled += 1
        return cancelled


def people_to_invite(agreement, users):
    """Who may sign this agreement right now and has not: decided at every
    use from the same rules as signing, so a guardian restricted, unlinked,
    disabled or stripped of authority since the agreement started is never
    invited, and their old link stops working."""
    if agreement.state not in ('sent', 'proposed'):
        return []
    client = agreement.workflow_client()
    ids = list(agreement.required_guardians)
    if (agreement.assent_required or agreement.minor_consents) and client.self_account_id:
        ids.append(client.self_account_id)
    people = []
    for uid in ids:
        user = users.get(uid)
        if user is None or not user.active or uid in agreement.signatures:
            continue
        if signer_role(agreement, user) and permits(agreement, principals_for(user), 'sign'):
            people.append(user)
    return people


INVITATION_SUBJECT = _('A document to review')
INVITATION_TEXT = _('mail-invitation', default=(
    'Hello,\n\nYou have a document to review and sign on ${portal}.\n\n'
    'Open this link to continue:\n${url}\n\n'
    'The link works once and expires on ${expires}. If you were not expecting\n'
    'this message, you can ignore it.\n'))


def invite_signers(request, agreement, now=None):
    """Issue and mail invitations to every signer still missing; return
    how many were sent.  The mail goes out only if the request commits."""
    clinic = request.clinic
    now = now or utcnow()
    sent = 0
    for person in people_to_invite(agreement, clinic['users']):
        if not may_email(request, person):
            agreement.add_event('not invited', request.authenticated_userid or 'system',
                             '%s does not accept email' % person.display_name, now=now)
            continue
        token = clinic.invitations.issue(agreement, person, clinic.settings.invitation_days, now)
        expires = (now + timedelta(days=clinic.settings.invitation_days)).date().isoformat()
        localizer = localizer_for(request, person.language)
        send(request, person, localizer.translate(INVITATION_SUBJECT),
             localizer.translate(_(INVITATION_TEXT, mapping={
                 'portal': clinic.settings.portal_name, 'expires': expires,
                 'url': public_url(request, 'invite', token)})))
        agreement.add_event('invited', request.authenticated_userid or 'system',
                         'invitation sent to %s' % person.display_name, now=now)
        sent += 1
    return sent
