"""Mail that joins the request's transaction.

Production uses pyramid_mailer's SMTP mailer.  With
``minorconsent.mail_debug = DIR`` (development, tests) the same
transactional delivery writes each message to a file in DIR instead, so a
message exists only if the request committed, exactly as in production.

Every message says nothing about therapy, the child or the clinic's
specialty: only the portal's display name and what to do.
"""
import os
import secrets
import time

from pyramid_mailer import get_mailer
from pyramid_mailer.interfaces import IMailer
from pyramid_mailer.mailer import Mailer
from pyramid_mailer.message import Message


class FileMailer:
    """A repoze.sendmail mailer that writes ``.eml`` files."""

    def __init__(self, directory):
        self.directory = directory

    def send(self, fromaddr, toaddrs, message):
        os.makedirs(self.directory, exist_ok=True)
        name = '%d-%s.eml' % (time.time_ns(), secrets.token_hex(4))
        with open(os.path.join(self.directory, name), 'wb') as out:
            out.write(message.as_bytes())


def include_mailer(config):
    settings = config.registry.settings
    directory = settings.get('minorconsent.mail_debug')
    if not directory:
        config.include('pyramid_mailer')
        return
    sender = settings.get('mail.default_sender', 'no-reply@demo.test')
    mailer = Mailer(smtp_mailer=FileMailer(directory), default_sender=sender)
    config.registry.registerUtility(mailer, IMailer)
    config.add_request_method(get_mailer, 'mailer', reify=True)


def send(request, to, subject, body):
    """Queue a plain-text message; it is sent when the request commits."""
    portal = request.clinic.settings.portal_name
    request.mailer.send(Message(subject='%s — %s' % (subject, portal),
                                recipients=[to], body=body))
