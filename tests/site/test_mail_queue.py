"""Production mail goes into a durable queue in the request's transaction,
and the sender delivers it later: a mail server that is down fails no
request and loses no message (issue 17, item 1).

The app here is configured as in production (no ``minorconsent.mail_debug``)
with its queue in a temporary folder.  The SMTP server is aiosmtpd in a
process of its own, writing every message it accepts into a maildir.
"""
import email
import logging
import os
import tempfile
import time
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from pyramid.scripting import prepare
from ZODB.MappingStorage import MappingStorage
from ZODB.blob import BlobStorage

from minorconsent import main
from minorconsent.scripts.mail import main as sender_main
from minorconsent.site.mail import send
from smtpsupport import SMTPServer, free_port
from support import (ROLE_EMAILS, app_settings, clinic_of, mail_text, mails_since,
                     multi_database, new_browser, seed)

SENDER = 'no-reply@clinic.demo.test'
RESET_FOR = ('guardian', 'guardian_other', 'adolescent', 'therapist')


@pytest.fixture(scope='module')
def where():
    return Path(tempfile.mkdtemp(prefix='minorconsent-mailq-'))


@pytest.fixture(scope='module')
def port():
    return free_port()


@pytest.fixture(scope='module')
def queued_app(where, port):
    """The app as in production: mail into the queue, none to files."""
    settings = app_settings(**{'mail.queue_path': str(where / 'var' / 'mail-queue'),
                               'mail.default_sender': SENDER,
                               'mail.host': '127.0.0.1', 'mail.port': str(port)})
    del settings['minorconsent.mail_debug']
    app = main({}, **settings)
    db, databases = multi_database(
        BlobStorage(str(where / 'blobs'), MappingStorage()), MappingStorage())
    app.registry._zodb_databases = databases
    app.db = db
    app.demo = seed(db, app.registry)
    app.queue = where / 'var' / 'mail-queue'
    yield app
    for each in databases.values():
        each.close()


@pytest.fixture
def empty_queue(queued_app):
    for folder in ('new', 'cur', 'tmp', 'retry'):
        for name in os.listdir(queued_app.queue / folder) if (queued_app.queue / folder).exists() else ():
            os.remove(queued_app.queue / folder / name)
    return queued_app.queue


@pytest.fixture
def ini(where, port, queued_app):
    path = where / 'mail.ini'
    path.write_text('[app:main]\nuse = egg:minorconsent\nmail.queue_path = %s\n'
                    'mail.host = 127.0.0.1\nmail.port = %d\nmail.default_sender = %s\n'
                    % (queued_app.queue, port, SENDER))
    return str(path)


def queued(queue):
    return sorted(os.listdir(queue / 'new')) + sorted(os.listdir(queue / 'cur'))


def ask_reset(app, email):
    form = new_browser(app).get('/forgot-password').forms['form']
    form['email'] = email
    return form.submit()


def queued_messages(queue):
    found = []
    for name in queued(queue):
        folder = 'new' if (queue / 'new' / name).exists() else 'cur'
        found.append(email.message_from_bytes((queue / folder / name).read_bytes()))
    return found


def test_the_queue_is_made_at_start_and_a_request_puts_its_mail_there(
        queued_app, empty_queue, caplog):
    caplog.set_level(logging.ERROR)
    assert {'new', 'cur', 'tmp'} <= set(os.listdir(empty_queue))
    since = time.time_ns()
    res = ask_reset(queued_app, ROLE_EMAILS['guardian'])
    assert res.status_int == 302
    [message] = queued_messages(empty_queue)
    assert message['To'] == ROLE_EMAILS['guardian']
    envelope = str(make_header(decode_header(message['X-Actually-To'])))
    assert envelope == ROLE_EMAILS['guardian']
    assert os.listdir(empty_queue / 'tmp') == []
    assert mails_since(since) == []                                     # no file mail
    assert caplog.records == []           # nor an error from the queue at commit


def test_a_message_has_date_message_id_and_no_names(queued_app, empty_queue):
    ask_reset(queued_app, ROLE_EMAILS['guardian'])
    [message] = queued_messages(empty_queue)
    assert email.utils.parsedate_to_datetime(message['Date']).tzinfo is not None
    assert message['Message-ID'].endswith('@clinic.demo.test>')   # the sender's domain
    text = mail_text(message)
    assert '/reset-password/' in text
    with clinic_of(queued_app.db, queued_app.registry) as clinic:
        names = {part for client in clinic['clients'].values()
                 for part in (client.first_name, client.last_name)}
        names |= {user.display_name for user in clinic['users'].values()
                  if user.display_name}
    assert names and not [name for name in names if name in text]


def test_a_transaction_that_aborts_queues_nothing(queued_app, empty_queue):
    env = prepare(registry=queued_app.registry)
    request = env['request']
    try:
        request.tm.begin()
        assert send(request, ROLE_EMAILS['guardian'], 'Subject', 'Body') is True
        request.tm.abort()
    finally:
        env['closer']()
    assert queued(empty_queue) == [] and os.listdir(empty_queue / 'tmp') == []


def test_development_mail_is_still_written_to_files_with_the_same_headers(app):
    since = time.time_ns()
    ask_reset(app, ROLE_EMAILS['guardian'])
    [message] = mails_since(since)
    assert message['Date'] and message['Message-ID']


def test_an_smtp_outage_loses_nothing_and_sends_each_message_once(
        queued_app, empty_queue, ini, where, port, capsys):
    """The issue's done-when: the server is down when the requests are
    made and when the sender first runs; started later, it receives each
    message exactly once."""
    server = SMTPServer(where / 'received', port)
    for role in RESET_FOR:                          # the server is down
        assert ask_reset(queued_app, ROLE_EMAILS[role]).status_int == 302
    ids = sorted(m['Message-ID'] for m in queued_messages(empty_queue))
    assert len(ids) == len(set(ids)) == len(RESET_FOR)

    assert sender_main([ini, '--once']) == 0         # still down: nothing leaves
    assert server.received() == []
    assert len(queued(empty_queue)) == len(RESET_FOR)
    later = str(time.time() + 3600)                  # past the backoff
    server.start()
    try:
        assert sender_main([ini, '--once', '--now', later]) == 0
        received = server.received()
        assert sorted(m['Message-ID'] for m in received) == ids
        assert sorted(m['To'] for m in received) == sorted(ROLE_EMAILS[r] for r in RESET_FOR)
        assert all(m['Date'] and 'X-Actually-To' not in m for m in received)
        assert queued(empty_queue) == [] and os.listdir(empty_queue / 'retry') == []
        assert sender_main([ini, '--once', '--now', later]) == 0
        assert len(server.received()) == len(RESET_FOR)
    finally:
        server.stop()
    assert capsys.readouterr().err == ''
