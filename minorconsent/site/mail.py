"""Mail that joins the request's transaction.

Production uses pyramid_mailer's SMTP mailer.  With
``minorconsent.mail_debug = DIR`` (development, tests) the same
transactional delivery writes each message to a file in DIR instead, so a
message exists only if the request committed, exactly as in production.

Every message says nothing about therapy, the child or the clinic's
specialty: only the portal's display name and what to do.

Every message goes to an account and passes one rule first: may this
person be emailed at all (their contact preferences).  The rule belongs to
the clients room, which keeps the preferences and registers it with
``config.set_email_rule``; ``send`` asks it for every message, so no sender
can forget it, and a sender that must know beforehand (to issue no link,
or to record "not invited") asks ``may_email``.  Links in a message come
from ``minorconsent.site.canonical.public_url``.
"""
import logging
import os
import secrets
import time

from pyramid_mailer import get_mailer
from pyramid_mailer.interfaces import IMailer
from pyramid_mailer.mailer import Mailer
from pyramid_mailer.message import Message

log = logging.getLogger(__name__)


class FileMailer:
    """A repoze.sendmail mailer that writes ``.eml`` files."""

    def __init__(self, directory):
        self.directory = directory

    def send(self, fromaddr, toaddrs, message):
        os.makedirs(self.directory, exist_ok=True)
        name = '%d-%s.eml' % (time.time_ns(), secrets.token_hex(4))
        with open(os.path.join(self.directory, name), 'wb') as out:
            out.write(message.as_bytes())


def set_email_rule(config, rule):
    """Directive: ``rule(clinic, user)`` decides whether ``user`` may be
    emailed.  One rule per app (a second registration is a conflict)."""
    def register():
        config.registry.email_rule = rule
    config.action('minorconsent.email_rule', register)


def include_mailer(config):
    config.add_directive('set_email_rule', set_email_rule)
    settings = config.registry.settings
    directory = settings.get('minorconsent.mail_debug')
    if not directory:
        config.include('pyramid_mailer')
        return
    sender = settings.get('mail.default_sender', 'no-reply@demo.test')
    mailer = Mailer(smtp_mailer=FileMailer(directory), default_sender=sender)
    config.registry.registerUtility(mailer, IMailer)
    config.add_request_method(get_mailer, 'mailer', reify=True)


def may_email(request, user):
    """May ``user`` be emailed?  The registered rule decides; without one,
    no (a mail that should not leave is worse than one that does not)."""
    rule = getattr(request.registry, 'email_rule', None)
    return rule is not None and user is not None and bool(rule(request.clinic, user))


def send(request, recipient, subject, body, address=None):
    """Queue a plain-text message to ``recipient`` (an account, or the
    address of one); it is sent when the request commits.  ``address``
    is where it goes when that is not the account's address (an address
    change is confirmed from the new one, and told to the old one).

    Nothing is sent, and False is returned, when the person may not be
    emailed (``may_email``) or the address belongs to no account."""
    if isinstance(recipient, str):
        address = address or recipient
        recipient = request.clinic['users'].find_by_email(recipient)
    if not may_email(request, recipient):
        log.info('mail not sent: the recipient does not accept email')
        return False
    portal = request.clinic.settings.portal_name
    request.mailer.send(Message(subject='%s — %s' % (subject, portal),
                                recipients=[address or recipient.email], body=body))
    return True
