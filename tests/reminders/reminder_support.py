"""Helpers of the reminders tests: a consent sent on a chosen day, the
mail each person got, the links in it."""
import email
import os
import re
from datetime import date, timedelta
from email.header import decode_header, make_header
from types import SimpleNamespace

from minorconsent.accounts import User
from minorconsent.agreements import act, start_agreement
from minorconsent.agreements.invitations import people_to_invite
from minorconsent.clients import link_guardian
from minorconsent.security.policy import principals_for
from minorconsent.site.daily import as_of
from minorconsent.workflow.engine import Actor

from support import MAIL_DIR

#: The day the tests' consents are sent (invitations dated its noon).
DAY0 = date.today()


def day(n):
    return DAY0 + timedelta(days=n)


def send_consent(c, registry, client_id, therapist_id, aunt=False, custody=None):
    """Start and send a consent for the client; invite its signers as of
    DAY0's noon.  Returns ``(agreement id, {person id: token})``."""
    client = c['clients'][client_id]
    if aunt:
        user = User('aunt.reminded@demo.test', 'Aunt Reminded', ['guardian'])
        c['users'].add_user(user)
        link_guardian(c, client, user, 'legal-guardian', True)
    if custody:
        client.custody_policy = custody
    therapist = c['users'][therapist_id]
    agreement = start_agreement(c, client, 'consent', therapist_id)
    act(agreement, registry, 'send', Actor(therapist_id, principals_for(therapist)))
    sent_at = as_of(DAY0, c.settings)
    tokens = {p.__name__: c.invitations.issue(agreement, p, c.settings.invitation_days, sent_at)
              for p in people_to_invite(agreement, c['users'])}
    return agreement.__name__, tokens


def mails(since_ns, address=None):
    """(address, subject, body) of every message written since ``since_ns``."""
    found = []
    for name in sorted(os.listdir(MAIL_DIR)):
        if int(name.split('-')[0]) < since_ns:
            continue
        with open(os.path.join(MAIL_DIR, name), 'rb') as f:
            message = email.message_from_bytes(f.read())
        body = message.get_payload(decode=True).decode(message.get_content_charset() or 'utf-8')
        to = message['To']
        if address is None or address in to:
            subject = str(make_header(decode_header(message['Subject'])))
            found.append(SimpleNamespace(to=to, body=body, subject=subject))
    return found


def link_in(body):
    return re.search(r'http://localhost(/invite/\S+)', body).group(1)


def fake_request(c, registry):
    """What ``model.standings`` asks of a request: the clinic and the
    registry (the email rule)."""
    return SimpleNamespace(clinic=c, registry=registry)
