"""Mail that joins the request's transaction, and is never lost.

Production puts every message into a durable queue (a maildir at
``mail.queue_path``, pyramid_mailer's key; beside Data.fs when unset)
in the request's transaction: the message is written and flushed to disk
before the commit and appears in the queue only if the request commits.
No request talks to the mail server, so a server that is down or slow
never fails or delays a request.  The sender (``minorconsent-mail``,
``minorconsent.scripts.mail``) delivers the queue with ``deliver_queue``
below.  With ``minorconsent.mail_debug = DIR`` (development, tests) the
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
import fcntl
import json
import logging
import os
import secrets
import shutil
import smtplib
import ssl
import time
from email import generator
from email.header import Header, decode_header, make_header
from email.parser import Parser
from email.utils import formatdate, make_msgid

from pyramid.settings import asbool
from pyramid_mailer import get_mailer
from pyramid_mailer.interfaces import IMailer
from pyramid_mailer.mailer import Mailer
from pyramid_mailer.message import Message
from repoze.sendmail.delivery import MailDataManager, QueuedMailDelivery, copy_message
from repoze.sendmail.maildir import Maildir, MaildirTransactionalMessage
from repoze.sendmail.mailer import SMTPMailer

log = logging.getLogger(__name__)

#: The queue without ``mail.queue_path`` nor a FileStorage (``queue_path``).
DEFAULT_QUEUE = os.path.join('var', 'mail-queue')
#: The first retry of a message that failed waits this long; each further
#: failure doubles the wait, up to ``LONGEST_WAIT``.
FIRST_WAIT = 60
LONGEST_WAIT = 3600
#: A message still undelivered this long after its first failed attempt
#: is moved to ``failed/`` and reported.
GIVE_UP_AFTER = 24 * 3600


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

def _fsync(path, flags=os.O_RDONLY):
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _DurableMessage(MaildirTransactionalMessage):
    """A queued message whose move into ``new/`` survives a power cut."""

    def commit(self):
        super().commit()
        _fsync(os.path.dirname(self._committed_path))

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
    portal = request.clinic.settings.portal_name
    sender = request.mailer.default_sender or ''
    headers = {'Date': formatdate(usegmt=True),
               # The sender's domain, not this host's name (which
               # make_msgid would look up, slowly, and tell the world).
               'Message-ID': make_msgid(domain=sender.rpartition('@')[2] or 'localhost')}
    request.mailer.send(Message(subject='%s — %s' % (subject, portal),
                                recipients=[address or recipient.email], body=body,
                                extra_headers=headers))
    return True


# --- the sender's side: delivering the queue ---------------------------------------

class _VerifiedSMTP(smtplib.SMTP):
    """STARTTLS that checks the server's certificate (smtplib's default
    context does not, and a reset link must not go to an impostor)."""

    def starttls(self, keyfile=None, certfile=None, context=None):
        return super().starttls(context=context or ssl.create_default_context())


def _verified_smtp_ssl(hostname, port, timeout):
    """Implicit TLS that checks the server's certificate."""
    return smtplib.SMTP_SSL(hostname, port, timeout=timeout,
                            context=ssl.create_default_context())


class ClinicSMTPMailer(SMTPMailer):
    smtp = _VerifiedSMTP
    smtp_ssl = staticmethod(_verified_smtp_ssl)


def smtp_mailer(settings):
    """The SMTP client for pyramid_mailer's keys: ``mail.host``,
    ``mail.port``, ``mail.username``/``mail.password`` (login, when both
    are set), ``mail.tls`` (STARTTLS, required when on) or ``mail.ssl``
    (implicit TLS, usually port 465).  Certificates are verified."""
    tls = asbool(settings.get('mail.tls', False))
    username = settings.get('mail.username') or None
    password = settings.get('mail.password') or None
    return ClinicSMTPMailer(
        hostname=settings.get('mail.host') or 'localhost',
        port=int(settings.get('mail.port') or 25),
        username=username if username and password else None,
        password=password if username and password else None,
        no_tls=not tls, force_tls=tls, ssl=asbool(settings.get('mail.ssl', False)))


#: Refusals of one message; any other error means the server (or the way
#: to it) failed, and the rest of the pass would fail the same way.
MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused,
                  smtplib.SMTPDataError)


def _header(message, name):
    value = message[name]
    return str(make_header(decode_header(value))) if value is not None else ''


def _envelope(path):
    """``(from, to, message)`` of a queued file, without the envelope
    headers repoze.sendmail keeps in it."""
    with open(path, encoding='utf-8') as f:
        message = Parser().parse(f)
    fromaddr = _header(message, 'X-Actually-From')
    toaddrs = tuple(a.strip() for a in _header(message, 'X-Actually-To').split(',') if a.strip())
    del message['X-Actually-From']
    del message['X-Actually-To']
    return fromaddr, toaddrs, message


def _write_json(path, data):
    pending = '%s.%s' % (path, secrets.token_hex(4))
    with open(pending, 'w') as out:
        json.dump(data, out)
    os.replace(pending, path)


class QueueReport:
    """What one pass did: ``sent`` (Message-IDs), ``waiting`` (still
    queued), ``failed`` (moved to ``failed/`` in this pass, one dict each),
    ``busy`` (another sender was working on the queue; nothing done)."""

    def __init__(self):
        self.sent, self.waiting, self.failed, self.busy = [], 0, [], False


def deliver_queue(settings, now=None, mailer=None, should_stop=lambda: False):
    """One pass over the queue: send every message that is due.

    A message leaves the queue only after the SMTP server accepted it, so
    in the normal case it is delivered exactly once.  If the sender (or
    its machine) dies after the server accepted a message and before the
    file is removed, the next pass sends it again: a rare duplicate (with
    the same Message-ID), never a loss.

    A message that fails stays queued; its retry state is a small JSON
    file in ``retry/`` (first failure, attempts, next attempt, last
    error).  It is retried after ``FIRST_WAIT`` seconds, then twice as long
    each time, at most ``LONGEST_WAIT``.  Still failing ``GIVE_UP_AFTER``
    after its first failure, it moves with its state to ``failed/`` and is
    reported.  Every kind of failure is retried, 5xx too (a wrong login
    answers 535: dropping the mail would lose it for a fixable setting).
    When the server cannot be reached, the pass does not try the rest one
    by one: each due message counts that failure.  One pass at a time (a
    lock in the queue), so a service and a cron job cannot both send."""
    now = time.time() if now is None else now
    report = QueueReport()
    maildir = open_queue(settings)
    root = str(maildir.path)
    with open(os.path.join(root, '.sender.lock'), 'a') as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            report.busy = True
            return report
        mailer = mailer or smtp_mailer(settings)
        server_error = None
        for path in maildir:
            if os.path.basename(path).startswith('.'):
                continue
            if should_stop():
                report.waiting += 1
                continue
            server_error = _deliver_one(root, path, now, mailer, server_error, report)
    return report


def _deliver_one(root, path, now, mailer, server_error, report):
    name = os.path.basename(path)
    state_path = os.path.join(root, 'retry', name + '.json')
    state = None
    if os.path.exists(state_path):
        with open(state_path) as f:
            state = json.load(f)
        if now < state['next_attempt']:
            report.waiting += 1
            return server_error
    message_id = ''
    try:
        if server_error is not None:
            raise server_error
        fromaddr, toaddrs, message = _envelope(path)
        message_id = message['Message-ID'] or ''
        mailer.send(fromaddr, toaddrs, message)
    except Exception as error:   # noqa: BLE001 -- whatever it was, keep the message
        if not isinstance(error, MESSAGE_ERRORS):
            server_error = error
        _failed_attempt(root, path, state_path, state, now, error, report)
        return server_error
    os.remove(path)
    _fsync(os.path.dirname(path))
    if state is not None:
        os.remove(state_path)
    report.sent.append(message_id)
    log.info('mail %s delivered', message_id)
    return server_error


def _failed_attempt(root, path, state_path, state, now, error, report):
    state = state or {'first_failure': now, 'attempts': 0}
    state['attempts'] += 1
    state['last_error'] = ('%s: %s' % (type(error).__name__, error))[:300]
    state['next_attempt'] = now + min(FIRST_WAIT * 2 ** (state['attempts'] - 1), LONGEST_WAIT)
    if now - state['first_failure'] < GIVE_UP_AFTER:
        os.makedirs(os.path.dirname(state_path), exist_ok=True)
        _write_json(state_path, state)
        report.waiting += 1
        log.warning('mail %s not delivered (attempt %d), retried later: %s',
                    os.path.basename(path), state['attempts'], state['last_error'])
        return
    failed = os.path.join(root, 'failed')
    os.makedirs(failed, exist_ok=True)
    name = os.path.basename(path)
    try:
        _, toaddrs, message = _envelope(path)
        state.update(to=', '.join(toaddrs), message_id=message['Message-ID'] or '',
                     subject=_header(message, 'Subject'))
    except Exception:   # noqa: BLE001 -- an unreadable file is reported all the same
        state.update(to='', message_id='', subject='')
    _write_json(os.path.join(failed, name + '.json'), state)
    shutil.move(path, os.path.join(failed, name))
    if os.path.exists(state_path):
        os.remove(state_path)
    state['file'] = os.path.join(failed, name)
    report.failed.append(state)
    log.error('mail to %s (%s) not delivered for a day, moved to %s: %s',
              state['to'], state['message_id'], state['file'], state['last_error'])
