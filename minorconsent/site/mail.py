"""Mail that joins the request's transaction, and is never lost.

Production puts every message into a durable queue (a maildir at
``mail.queue_path``, pyramid_mailer's key; beside Data.fs when unset)
in the request's transaction: the message is written and flushed to disk
before the commit and appears in the queue only if the request commits.
No request talks to the mail server, so a server that is down or slow
never fails or delays a request.  The sender (``minorconsent-mail``,
``minorconsent.scripts.mail``) delivers the queue with ``deliver_queue``
(``site.delivery``).  With ``minorconsent.mail_debug = DIR`` (development, tests) the
same transactional delivery writes each message to a file in DIR instead,
so a message exists only if the request committed, exactly as in
production.

Every message says nothing about therapy, the child or the clinic's
specialty: only the portal's display name and what to do.  Each carries
its own ``Date`` and ``Message-ID``, fixed when it is queued, so a retry
sends the same message and a receiver can tell a duplicate.

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
from email import generator
from email.header import Header
from email.utils import formatdate, make_msgid

from pyramid_mailer import get_mailer
from pyramid_mailer.interfaces import IMailer
from pyramid_mailer.mailer import Mailer
from pyramid_mailer.message import Message
from repoze.sendmail.delivery import MailDataManager, QueuedMailDelivery, copy_message
from repoze.sendmail.maildir import Maildir, MaildirTransactionalMessage

log = logging.getLogger(__name__)

#: The queue without ``mail.queue_path`` nor a FileStorage (``queue_path``).
DEFAULT_QUEUE = os.path.join('var', 'mail-queue')


class FileMailer:
    """A repoze.sendmail mailer that writes ``.eml`` files."""

    def __init__(self, directory):
        self.directory = directory

    def send(self, fromaddr, toaddrs, message):
        os.makedirs(self.directory, exist_ok=True)
        name = '%d-%s.eml' % (time.time_ns(), secrets.token_hex(4))
        with open(os.path.join(self.directory, name), 'wb') as out:
            out.write(message.as_bytes())


# --- the queue, as requests write it ---------------------------------------------

def fsync_path(path, flags=os.O_RDONLY):
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _DurableMessage(MaildirTransactionalMessage):
    """A queued message whose move into ``new/`` survives a power cut."""

    def commit(self):
        super().commit()
        fsync_path(os.path.dirname(self._committed_path))

    def abort(self):
        # The transaction aborts every resource again after its after-commit
        # hooks (the app has some); repoze raises for a committed message.
        if not self._committed:
            super().abort()


class DurableMaildir(Maildir):
    """repoze.sendmail's maildir, with each message flushed to disk before
    the transaction commits (repoze writes without fsync, so a crash just
    after the clinic's commit could lose a message the clinic recorded as
    sent).  ``create`` makes the folder's parents too."""

    def __init__(self, path, create=False):
        if create:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        super().__init__(path, create=create)

    def add(self, message):
        name = '%d.%d.%s' % (time.time_ns(), os.getpid(), secrets.token_hex(8))
        pending = self.subdir_tmp / name
        with open(pending, 'x', encoding='utf-8') as out:
            generator.Generator(out).flatten(message)
            out.flush()
            os.fsync(out.fileno())
        return _DurableMessage(pending, self.subdir_new / name)


class DurableQueuedDelivery(QueuedMailDelivery):
    """QueuedMailDelivery over a ``DurableMaildir`` (same file format: the
    envelope in ``X-Actually-From``/``X-Actually-To``)."""

    def createDataManager(self, fromaddr, toaddrs, message):
        message = copy_message(message)
        message['X-Actually-From'] = Header(fromaddr, 'utf-8')
        message['X-Actually-To'] = Header(','.join(toaddrs), 'utf-8')
        queued = DurableMaildir(self.queuePath, True).add(message)
        return MailDataManager(queued.commit, onAbort=queued.abort,
                               transaction_manager=self.transaction_manager)


class QueuedMailer(Mailer):
    """pyramid_mailer's Mailer whose ``send`` puts the message into the
    queue (never straight to SMTP), in the request's transaction."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.queue_delivery = DurableQueuedDelivery(
            self.queue_path, transaction_manager=self.transaction_manager)

    def send(self, message):
        return self.send_to_queue(message)


def queue_path(settings):
    """The queue's folder, as the app and the sender both read it: unset,
    ``mail-queue`` beside a FileStorage's Data.fs (``var/``), whatever the
    working directory; else ``var/mail-queue`` under it."""
    path = settings.get('mail.queue_path')
    uri = settings.get('zodbconn.uri') or ''
    if not path and uri.startswith('file://'):
        path = os.path.join(os.path.dirname(uri[len('file://'):].split('?')[0]), 'mail-queue')
    return os.path.abspath(path or DEFAULT_QUEUE)


def open_queue(settings):
    """The queue's maildir, created (with its parents) if missing."""
    return DurableMaildir(queue_path(settings), create=True)


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
    if directory:
        sender = settings.get('mail.default_sender', 'no-reply@demo.test')
        mailer = Mailer(smtp_mailer=FileMailer(directory), default_sender=sender)
    else:
        # A queue that cannot be made stops the app at start, not a request.
        open_queue(settings)
        settings = dict(settings, **{'mail.queue_path': queue_path(settings)})
        mailer = QueuedMailer.from_settings(settings)
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
    _queue(request, address or recipient.email, subject, body)
    return True


def send_to_operator(request, address, subject, body):
    """Queue a message to an address from the configuration, not an
    account (the privacy officer's copy of the audit chain's head).  The
    address must come from the ini file, never from a request or a form;
    the body is operational (numbers and hashes), never about a family."""
    _queue(request, address, subject, body)


def _queue(request, address, subject, body):
    portal = request.clinic.settings.portal_name
    sender = request.mailer.default_sender or ''
    headers = {'Date': formatdate(usegmt=True),
               # The sender's domain, not this host's name (which
               # make_msgid would look up, slowly, and tell the world).
               'Message-ID': make_msgid(domain=sender.rpartition('@')[2] or 'localhost')}
    request.mailer.send(Message(subject='%s — %s' % (subject, portal),
                                recipients=[address], body=body,
                                extra_headers=headers))
