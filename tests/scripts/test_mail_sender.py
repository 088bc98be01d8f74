"""minorconsent-mail: retries with backoff, gives up after a day (moved to
failed/, reported, exit 1), one pass at a time, a service that delivers and
stops cleanly (issue 17, item 1).  The end-to-end outage through the app's
requests is tests/site/test_mail_queue.py.

Messages are queued here as a request queues them (site.mail's
QueuedMailer in a transaction); the SMTP server is aiosmtpd in a process
of its own, writing what it accepts into a maildir.
"""
import email
import fcntl
import json
import os
import signal
import smtplib
import subprocess
import sys
import time
from email.utils import make_msgid
from pathlib import Path

import pytest
import transaction
from pyramid_mailer.message import Message

from minorconsent.scripts.mail import main
from minorconsent.site.delivery import (FIRST_WAIT, GIVE_UP_AFTER, LONGEST_WAIT,
                                        deliver_queue, smtp_mailer)
from minorconsent.site.mail import QueuedMailer, queue_path
from smtpsupport import SMTPServer, free_port

BIN = Path(sys.executable).parent
DAY = 24 * 3600


@pytest.fixture
def server(tmp_path):
    """Not started: a test starts it when the outage is over."""
    smtp = SMTPServer(tmp_path / 'received', free_port())
    yield smtp
    smtp.stop()


@pytest.fixture
def queue(tmp_path):
    return tmp_path / 'var' / 'mail-queue'


@pytest.fixture
def settings(queue, server):
    return {'mail.queue_path': str(queue), 'mail.host': '127.0.0.1',
            'mail.port': str(server.port), 'mail.default_sender': 'no-reply@demo.test'}


@pytest.fixture
def ini(tmp_path, settings):
    path = tmp_path / 'mail.ini'
    path.write_text('[app:main]\nuse = egg:minorconsent\n' + ''.join(
        '%s = %s\n' % item for item in settings.items()))
    return str(path)


def enqueue(queue, *recipients):
    """Queue one message per recipient, committed as a request commits."""
    tm = transaction.TransactionManager()
    mailer = QueuedMailer(queue_path=str(queue), default_sender='no-reply@demo.test',
                          transaction_manager=tm)
    ids = []
    with tm:
        for to in recipients:
            ids.append(make_msgid(domain='demo.test'))
            mailer.send(Message(subject='Something waits for you — Family Portal',
                                recipients=[to], body='Sign in to the portal.',
                                extra_headers={'Message-ID': ids[-1]}))
    return ids


def queued(queue):
    return sorted(os.listdir(queue / 'new')) + sorted(os.listdir(queue / 'cur'))


def retry_state(queue):
    [name] = os.listdir(queue / 'retry')
    return json.loads((queue / 'retry' / name).read_text())


def test_a_failed_message_waits_longer_after_each_failure(queue, settings):
    enqueue(queue, 'a@demo.test')
    start = time.time()
    deliver_queue(settings, now=start)                  # the server is down
    state = retry_state(queue)
    assert state['attempts'] == 1 and state['first_failure'] == start
    assert state['next_attempt'] == start + FIRST_WAIT
    assert 'Connection' in state['last_error']
    deliver_queue(settings, now=start + FIRST_WAIT - 1)  # not due: not tried
    assert retry_state(queue)['attempts'] == 1
    now, waits = start, []
    for _ in range(9):
        now = retry_state(queue)['next_attempt']
        report = deliver_queue(settings, now=now)
        waits.append(retry_state(queue)['next_attempt'] - now)
        assert report.sent == [] and report.waiting == 1
    assert waits[:3] == [2 * FIRST_WAIT, 4 * FIRST_WAIT, 8 * FIRST_WAIT]
    assert waits[-1] == LONGEST_WAIT
    assert len(queued(queue)) == 1


def test_one_pass_with_the_server_down_tries_the_server_once(queue, settings):
    enqueue(queue, 'a@demo.test', 'b@demo.test', 'c@demo.test')
    calls = []

    class Down:
        def send(self, fromaddr, toaddrs, message):
            calls.append(toaddrs)
            raise ConnectionRefusedError(111, 'Connection refused')

    report = deliver_queue(settings, mailer=Down())
    assert len(calls) == 1 and report.waiting == 3
    assert len(os.listdir(queue / 'retry')) == 3 and len(queued(queue)) == 3


def test_a_refused_recipient_does_not_hold_back_the_others(queue, settings):
    enqueue(queue, 'a@demo.test', 'refused@demo.test', 'c@demo.test')
    sent = []

    class Picky:
        def send(self, fromaddr, toaddrs, message):
            if toaddrs == ('refused@demo.test',):
                raise smtplib.SMTPRecipientsRefused({toaddrs[0]: (550, b'no such user')})
            sent.append(toaddrs[0])

    report = deliver_queue(settings, mailer=Picky())
    assert sorted(sent) == ['a@demo.test', 'c@demo.test'] and report.waiting == 1
    assert len(queued(queue)) == 1     # a 5xx is retried too, never dropped


def test_undelivered_for_a_day_is_moved_to_failed_and_reported(queue, ini, server, capsys):
    [message_id] = enqueue(queue, 'parent@demo.test')
    start = time.time()
    assert main([ini, '--once', '--now', str(start)]) == 0
    assert main([ini, '--once', '--now', str(start + DAY / 2)]) == 0
    assert capsys.readouterr().err == ''               # half a day: still waiting
    assert len(queued(queue)) == 1
    assert main([ini, '--once', '--now', str(start + GIVE_UP_AFTER + 60)]) == 1
    err = capsys.readouterr().err
    assert 'not delivered since' in err and 'parent@demo.test' in err and message_id in err
    assert queued(queue) == [] and os.listdir(queue / 'retry') == []
    failed = sorted(os.listdir(queue / 'failed'))
    assert len(failed) == 2                            # the message and why
    why = json.loads((queue / 'failed' / [f for f in failed if f.endswith('.json')][0]).read_text())
    assert why['attempts'] == 3 and why['to'] == 'parent@demo.test'
    server.start()                                     # failed mail is not sent by itself
    assert main([ini, '--once']) == 0
    assert server.received() == []


def test_a_second_sender_waits_its_turn(queue, settings, server):
    enqueue(queue, 'a@demo.test')
    server.start()
    with open(queue / '.sender.lock', 'a') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        report = deliver_queue(settings)
        assert report.busy and report.sent == []
    assert len(deliver_queue(settings).sent) == 1
    assert len(server.received()) == 1


def test_the_service_delivers_what_is_queued_and_stops_on_sigterm(queue, ini, server):
    enqueue(queue, 'a@demo.test')
    server.start()
    service = subprocess.Popen([str(BIN / 'minorconsent-mail'), ini, '--interval', '0.2'],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ids = enqueue(queue, 'b@demo.test', 'c@demo.test')   # while it runs
        deadline = time.monotonic() + 60
        while len(server.received()) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert set(ids) <= {m['Message-ID'] for m in server.received()}
    finally:
        service.send_signal(signal.SIGTERM)
        _, err = service.communicate(timeout=60)
    assert service.returncode == 0, err
    assert len(server.received()) == 3 and queued(queue) == []


def test_the_console_script_runs_once_in_its_own_process(queue, ini, server):
    [message_id] = enqueue(queue, 'a@demo.test')
    server.start()
    result = subprocess.run([str(BIN / 'minorconsent-mail'), ini, '--once'],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ''                          # quiet for cron
    assert [m['Message-ID'] for m in server.received()] == [message_id]


def test_a_development_configuration_has_no_queue_to_send(tmp_path, capsys):
    path = tmp_path / 'dev.ini'
    path.write_text('[app:main]\nuse = egg:minorconsent\nminorconsent.mail_debug = %s\n'
                    % (tmp_path / 'mail'))
    assert main([str(path), '--once']) == 2
    assert 'mail_debug' in capsys.readouterr().err


def test_the_smtp_settings_are_pyramid_mailers_keys():
    plain = smtp_mailer({'mail.host': 'smtp.demo.test', 'mail.port': '587'})
    assert (plain.hostname, plain.port, plain.username) == ('smtp.demo.test', 587, None)
    assert plain.no_tls and not plain.force_tls and not plain.ssl
    starttls = smtp_mailer({'mail.tls': 'true', 'mail.username': 'clinic',
                            'mail.password': 'secret'})
    assert starttls.force_tls and not starttls.no_tls
    assert (starttls.username, starttls.password) == ('clinic', 'secret')
    implicit = smtp_mailer({'mail.ssl': 'true', 'mail.port': '465'})
    assert implicit.ssl and implicit.port == 465


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for 127.0.0.1: trusted only through
    SSL_CERT_FILE."""
    cert, key = tmp_path / 'cert.pem', tmp_path / 'key.pem'
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
                    '-keyout', str(key), '-out', str(cert), '-subj', '/CN=127.0.0.1',
                    '-addext', 'subjectAltName=IP:127.0.0.1'],
                   check=True, capture_output=True, timeout=60)
    return str(cert), str(key)


@pytest.mark.parametrize('setting,options', [
    ('mail.tls', '--tlscert {cert} --tlskey {key}'),       # STARTTLS
    ('mail.ssl', '--smtpscert {cert} --smtpskey {key}'),   # implicit TLS
])
def test_tls_delivers_only_to_a_server_whose_certificate_verifies(
        queue, tmp_path, settings, server, certificate, setting, options):
    cert, key = certificate
    path = tmp_path / 'tls.ini'
    path.write_text('[app:main]\nuse = egg:minorconsent\n%s = true\n' % setting + ''.join(
        '%s = %s\n' % item for item in settings.items()))
    [message_id] = enqueue(queue, 'a@demo.test')
    server.start(*options.format(cert=cert, key=key).split())
    once = [str(BIN / 'minorconsent-mail'), str(path), '--once']
    untrusted = subprocess.run(once, capture_output=True, text=True, timeout=120,
                               env=dict(os.environ, SSL_CERT_FILE=os.devnull))
    assert untrusted.returncode == 0 and server.received() == []
    assert 'CERTIFICATE_VERIFY_FAILED' in retry_state(queue)['last_error']
    trusted = subprocess.run(once + ['--now', str(time.time() + 3600)], capture_output=True,
                             text=True, timeout=120, env=dict(os.environ, SSL_CERT_FILE=cert))
    assert trusted.returncode == 0, trusted.stderr
    assert [m['Message-ID'] for m in server.received()] == [message_id]


def test_the_queue_defaults_to_beside_the_clinics_database(tmp_path):
    uri = 'file://%s/var/Data.fs?blobstorage_dir=%s/var/blobs' % (tmp_path, tmp_path)
    assert queue_path({'zodbconn.uri': uri}) == str(tmp_path / 'var' / 'mail-queue')
    assert queue_path({'zodbconn.uri': uri, 'mail.queue_path': str(tmp_path / 'q')}) \
        == str(tmp_path / 'q')
    assert queue_path({'zodbconn.uri': 'postgres://x@h/db'}) \
        == os.path.abspath(os.path.join('var', 'mail-queue'))


def test_a_login_is_given_after_starttls_and_a_wrong_one_delivers_nothing(
        queue, tmp_path, settings, certificate):
    """``mail.username`` / ``mail.password`` log in to a server that
    requires STARTTLS and a login (tests/smtp_auth_server.py)."""
    cert, key = certificate
    port, folder = free_port(), tmp_path / 'auth-received'
    server = subprocess.Popen([sys.executable, str(Path(__file__).parents[1] / 'smtp_auth_server.py'),
                               str(port), str(folder), cert, key, 'clinic', 'right-password'],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        SMTPServer(folder, port).wait_listening(server)
        [message_id] = enqueue(queue, 'a@demo.test')
        once = [str(BIN / 'minorconsent-mail'), '--once']
        env = dict(os.environ, SSL_CERT_FILE=cert)

        def configured(password):
            path = tmp_path / ('auth-%s.ini' % password)
            values = dict(settings, **{'mail.port': str(port), 'mail.tls': 'true',
                                       'mail.username': 'clinic', 'mail.password': password})
            path.write_text('[app:main]\nuse = egg:minorconsent\n' + ''.join(
                '%s = %s\n' % item for item in values.items()))
            return str(path)
        wrong = subprocess.run([once[0], configured('wrong-password'), '--once'],
                               capture_output=True, text=True, timeout=120, env=env)
        assert wrong.returncode == 0
        assert SMTPServer(folder, port).received() == []
        assert '535' in retry_state(queue)['last_error']      # authentication failed
        right = subprocess.run([once[0], configured('right-password'), '--once',
                                '--now', str(time.time() + 3600)],
                               capture_output=True, text=True, timeout=120, env=env)
        assert right.returncode == 0, right.stderr
        assert [m['Message-ID'] for m in SMTPServer(folder, port).received()] == [message_id]
    finally:
        server.terminate()
        server.wait(timeout=30)
