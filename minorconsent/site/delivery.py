"""The sender's side of the mail queue: delivering it to the SMTP server.

``minorconsent-mail`` (``scripts/mail.py``) calls ``deliver_queue``; the
request's side (queueing inside the transaction) is ``site.mail``.  A
message leaves the queue only once the server accepted it; every failure
waits longer before the next try, and a message still undelivered after a
day moves to ``failed/`` with a ``.json`` saying why.
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
from email.header import decode_header, make_header
from email.parser import Parser

from pyramid.settings import asbool
from repoze.sendmail.mailer import SMTPMailer

from .mail import fsync_path, open_queue

log = logging.getLogger(__name__)

#: The first retry of a message that failed waits this long; each further
#: failure doubles the wait, up to ``LONGEST_WAIT``.
FIRST_WAIT = 60
LONGEST_WAIT = 3600
#: A message still undelivered this long after its first failed attempt
#: is moved to ``failed/`` and reported.
GIVE_UP_AFTER = 24 * 3600


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
    fsync_path(os.path.dirname(path))
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
