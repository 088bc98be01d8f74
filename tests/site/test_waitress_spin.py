"""waitress's main loop no longer spins while a task thread sends (issue 20,
item 3, "The waitress spin"; minorconsent/site/waitress_spin.py).

A real waitress serves in a subprocess pinned to one CPU (the server sharing
a core is where the spin costs), run by this file as a script: its main loop
counts its own turns and every channel counts its ``handle_write`` calls;
``/counts`` reports both.  The tests COUNT, never time:

* with the fix, a keep-alive request costs at most a few loop turns and
  (almost) no ``handle_write``; without it, many;
* a "slow sender" variant makes the task thread sleep 1 ms inside its
  locked send -- what being descheduled on a shared core does -- so the
  plain channel spins for certain and the fixed one must not;
* the server's main loop sleeps up to an hour when nothing wakes it, so a
  wake-up the fix forgot (output left unflushed) shows as a hang, caught by
  the client's socket timeout, not hidden by waitress's 1 s loop timeout.

Correctness with the fix: bodies complete and byte-identical (small, 200 KB,
streamed app_iter, wsgi.file_wrapper), pipelined requests, Connection:
close, HTTP/1.0, HEAD, a slow client reading a large response through a
small high watermark.  The version guard and the paste runner are checked
in process.
"""
import configparser
import hashlib
import importlib.metadata
import json
import logging
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import threading
import time

import pytest
import waitress
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer

from minorconsent.site import waitress_spin

HERE = pathlib.Path(__file__).resolve()
ROOT = HERE.parents[2]

SMALL = b'Hello World!'
BIG = hashlib.sha256(b'big').digest() * 6400                # 204,800 bytes
STREAM_CHUNK = hashlib.sha256(b'stream').digest() * 2048    # 64 KB
STREAM_CHUNKS = 32                                          # 2 MB streamed
FILE_BYTES = hashlib.sha256(b'file').digest() * 98304       # 3 MB


# --------------------------------------------------------------------------
# The server (this file run as a script)

def _server_main(mode, delay_ms, cpu, high_watermark, slow_pull_ms):
    """Serve the test app on a free port; print it; run forever."""
    if cpu >= 0 and hasattr(os, 'sched_setaffinity'):
        os.sched_setaffinity(0, {cpu})      # before any thread: all inherit it
    logging.getLogger('waitress.queue').setLevel(logging.ERROR)
    if mode == 'fixed':
        assert waitress_spin.apply()
    counts = {'loops': 0, 'handle_write': 0, 'waits': 0}
    loop_thread = threading.get_ident()
    fd, file_path = tempfile.mkstemp()
    os.write(fd, FILE_BYTES)
    os.close(fd)

    def app(environ, start_response):
        path = environ['PATH_INFO']
        if path == '/counts':
            body = json.dumps(counts).encode()
        elif path == '/big':
            body = BIG
        elif path == '/stream':         # no length: chunked, written piece by piece
            start_response('200 OK', [('Content-Type', 'application/octet-stream')])
            return (STREAM_CHUNK for _ in range(STREAM_CHUNKS))
        elif path == '/file':
            start_response('200 OK', [('Content-Type', 'application/octet-stream'),
                                      ('Content-Length', str(len(FILE_BYTES)))])
            return environ['wsgi.file_wrapper'](open(file_path, 'rb'), 65536)
        elif path.startswith('/n/'):
            body = ('reply %s ' % path[3:]).encode() * (1 + int(path[3:]) * 997)
        else:
            body = SMALL
        start_response('200 OK', [('Content-Type', 'application/octet-stream'),
                                  ('Content-Length', str(len(body)))])
        # waitress leaves HEAD to the app (as WebOb's Response does it)
        return [b''] if environ['REQUEST_METHOD'] == 'HEAD' else [body]

    server = waitress.create_server(app, host='127.0.0.1', port=0, threads=4,
                                    outbuf_high_watermark=high_watermark)
    base = server.channel_class
    assert (base is waitress_spin.SpinFreeChannel) == (mode == 'fixed')

    class Counting(base):
        def __init__(self, server, sock, addr, adj, map=None):
            if high_watermark < 16777216:
                # a small, fixed send buffer (no autotuning to 4 MB): a slow
                # client makes the outbufs pass the high watermark
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
            super().__init__(server, sock, addr, adj, map=map)

        def _flush_outbufs_below_high_watermark(self):
            if self.total_outbufs_len > self.adj.outbuf_high_watermark:
                counts['waits'] += 1        # the task will wait for the loop
            return super()._flush_outbufs_below_high_watermark()

        def handle_write(self):
            counts['handle_write'] += 1
            return super().handle_write()

        def send(self, data, do_close=True):
            if delay_ms and threading.get_ident() != loop_thread:
                time.sleep(delay_ms / 1000.0)   # a task thread descheduled mid-send
            return super().send(data, do_close=do_close)

    server.channel_class = Counting
    if slow_pull_ms:
        # A task thread that pulls the trigger while holding outbuf_lock
        # (as write_soon and _flush_outbufs_below_high_watermark do) and
        # only then loses its core: the woken loop sees the lock held.
        pull = server.pull_trigger

        def slow_pull(*args):
            pull(*args)
            if threading.get_ident() != loop_thread:
                time.sleep(slow_pull_ms / 1000.0)
        server.pull_trigger = slow_pull
    print(server.effective_port, flush=True)
    while True:
        # An hour, not waitress's 1 s: a missing wake-up must hang, not hide.
        wasyncore.poll(3600.0, server._map)
        counts['loops'] += 1


class Server:
    """The script above in a subprocess."""

    def __init__(self, mode, delay_ms=0, cpu=0, high_watermark=16777216, slow_pull_ms=0):
        cpu = cpu if hasattr(os, 'sched_setaffinity') and cpu in os.sched_getaffinity(0) else -1
        self.proc = subprocess.Popen(
            [sys.executable, '-W', 'ignore', str(HERE), mode, str(delay_ms), str(cpu),
             str(high_watermark), str(slow_pull_ms)],
            stdout=subprocess.PIPE, cwd=str(ROOT))
        line = self.proc.stdout.readline()
        assert line.strip().isdigit(), 'server did not start: %r' % line
        self.port = int(line)

    def connect(self, timeout=20):
        sock = socket.create_connection(('127.0.0.1', self.port), timeout=timeout)
        return sock, sock.makefile('rb')

    def counts(self):
        sock, f = self.connect()
        with sock:
            sock.sendall(b'GET /counts HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n')
            return json.loads(read_response(f)[2])

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()


# --------------------------------------------------------------------------
# A small HTTP/1.1 client: exact about framing, so a short body fails.

def read_response(f, head=False):
    """(status, headers, body) of one response from file ``f``."""
    status = f.readline()
    assert status.startswith(b'HTTP/1.'), 'no response: %r' % status[:80]
    headers = {}
    while True:
        line = f.readline()
        assert line.endswith(b'\r\n'), 'headers cut short: %r' % line[:80]
        if line == b'\r\n':
            break
        name, value = line.decode('latin-1').split(':', 1)
        headers[name.strip().lower()] = value.strip()
    if head:
        return int(status.split()[1]), headers, b''
    if 'content-length' in headers:
        length = int(headers['content-length'])
        body = f.read(length)
        assert len(body) == length, 'body cut short: %d of %d' % (len(body), length)
    elif headers.get('transfer-encoding') == 'chunked':
        parts = []
        while True:
            size = int(f.readline().strip(), 16)
            if size == 0:
                assert f.readline() == b'\r\n'
                break
            parts.append(f.read(size))
            assert len(parts[-1]) == size and f.readline() == b'\r\n', 'chunk cut short'
        body = b''.join(parts)
    else:
        body = f.read()
    return int(status.split()[1]), headers, body


def get(path, version='1.1', extra=''):
    return ('GET %s HTTP/%s\r\nHost: t\r\n%s\r\n' % (path, version, extra)).encode()


def keep_alive_load(server, path, connections, per_connection, expected):
    """``connections`` clients, each sending ``per_connection`` requests one
    after another on one keep-alive connection; every body checked."""
    failures = []

    def client():
        try:
            sock, f = server.connect()
            with sock:
                for _ in range(per_connection):
                    sock.sendall(get(path))
                    status, _, body = read_response(f)
                    if status != 200 or body != expected:
                        failures.append((status, len(body)))
        except Exception as e:          # reported below, in the test's thread
            failures.append(repr(e))

    threads = [threading.Thread(target=client) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures[:3]


def per_request(server, path, expected, connections=8, per_connection=50):
    before = server.counts()
    keep_alive_load(server, path, connections, per_connection, expected)
    after = server.counts()
    n = connections * per_connection
    return {k: (after[k] - before[k]) / n for k in before}


# --------------------------------------------------------------------------
# Counting: the spin is gone with the fix, there without it

@pytest.fixture(scope='module')
def fixed():
    server = Server('fixed')
    yield server
    server.stop()


@pytest.mark.parametrize('path, expected', [('/', SMALL), ('/big', BIG)])
def test_fixed_main_loop_turns_a_few_times_per_request(fixed, path, expected):
    """50 keep-alive requests on each of 8 connections: each request costs
    the loop its read, its task's trigger and little else."""
    counts = per_request(fixed, path, expected)
    assert counts['loops'] <= 4, counts
    assert counts['handle_write'] <= 1, counts


@pytest.mark.parametrize('path, expected', [('/', SMALL), ('/big', BIG)])
def test_slow_sender_spins_the_plain_loop_and_not_the_fixed_one(path, expected):
    """A task thread that is slow inside its locked send (1 ms, as when it
    loses its core): the plain channel's loop goes round and round calling
    handle_write for nothing; the fixed one waits for the task's trigger."""
    results = {}
    for mode in ('plain', 'fixed'):
        server = Server(mode, delay_ms=1)
        try:
            results[mode] = per_request(server, path, expected, connections=8,
                                        per_connection=12)
        finally:
            server.stop()
    fixed_counts, plain = results['fixed'], results['plain']
    assert fixed_counts['loops'] <= 4, results
    assert fixed_counts['handle_write'] <= 1, results
    # Without the fix it spins: many turns and handle_writes per request.
    assert plain['handle_write'] >= 10 * max(fixed_counts['handle_write'], 1), results
    assert plain['loops'] >= 3 * fixed_counts['loops'], results


def test_plain_waitress_spins_on_a_shared_core():
    """The symptom as measured in issue 20, without any slowing down: the
    plain channel calls handle_write many times per request, the fixed one
    (almost) never.  Only the fixed side has a hard bound (scheduling decides
    how much the plain one spins); the plain side must still show *some*
    spin, or this test no longer shows what the fix is for."""
    results = {}
    for mode in ('plain', 'fixed'):
        server = Server(mode)
        try:
            results[mode] = per_request(server, '/big', BIG)
        finally:
            server.stop()
    assert results['fixed']['handle_write'] <= 1, results
    assert results['plain']['handle_write'] > results['fixed']['handle_write'], results


# --------------------------------------------------------------------------
# Correctness with the fix

def test_file_wrapper_bodies_complete_and_the_connection_goes_on(fixed):
    sock, f = fixed.connect()
    with sock:
        for _ in range(3):
            sock.sendall(get('/file'))
            status, headers, body = read_response(f)
            assert status == 200 and len(body) == len(FILE_BYTES) and body == FILE_BYTES
        sock.sendall(get('/'))
        assert read_response(f)[2] == SMALL


def test_streamed_app_iter_completes_then_closes(fixed):
    """No Content-Length: waitress sends it chunked and closes after it."""
    for _ in range(3):
        sock, f = fixed.connect()
        with sock:
            sock.sendall(get('/stream'))
            status, headers, body = read_response(f)
            assert headers['transfer-encoding'] == 'chunked'
            assert status == 200 and body == STREAM_CHUNK * STREAM_CHUNKS
            assert f.read() == b''


def test_pipelined_requests_answer_in_order(fixed):
    sock, f = fixed.connect()
    with sock:
        sock.sendall(b''.join(get('/n/%d' % i) for i in range(12)) + get('/big'))
        for i in range(12):
            assert read_response(f)[2] == ('reply %d ' % i).encode() * (1 + i * 997)
        assert read_response(f)[2] == BIG


def test_connection_close_closes_after_the_whole_body(fixed):
    sock, f = fixed.connect()
    with sock:
        sock.sendall(get('/big', extra='Connection: close\r\n'))
        status, headers, body = read_response(f)
        assert (status, body) == (200, BIG)
        assert headers.get('connection') == 'close'
        assert f.read() == b''      # closed by the server, nothing more


def test_http_1_0_without_keep_alive_closes_after_the_body(fixed):
    sock, f = fixed.connect()
    with sock:
        sock.sendall(get('/stream', version='1.0'))
        status, headers, body = read_response(f)   # read to the close
        assert status == 200 and body == STREAM_CHUNK * STREAM_CHUNKS


def test_head_sends_headers_only_and_keeps_the_connection(fixed):
    sock, f = fixed.connect()
    with sock:
        sock.sendall(b'HEAD /big HTTP/1.1\r\nHost: t\r\n\r\n')
        status, headers, _ = read_response(f, head=True)
        assert status == 200 and headers['content-length'] == str(len(BIG))
        sock.sendall(get('/'))
        # A body after HEAD would show up here instead of the next status line.
        assert read_response(f)[2] == SMALL


@pytest.mark.parametrize('slow_pull_ms', [0, 5])
def test_slow_client_gets_a_large_response_whole(slow_pull_ms):
    """A client with a small receive buffer reading slowly: the task thread
    fills the outbufs past a 256 KB high watermark and waits on outbuf_lock;
    the main loop must be woken to flush each time (it sleeps up to an hour
    otherwise) -- the Condition.wait path of the fix.  With ``slow_pull_ms``
    the task pulls waitress's trigger and then stalls before letting go of
    the lock: the loop wakes too early, sees the lock held and goes back to
    sleep, so only the fix's own pull on release can wake it again (without
    it the response hangs and the client's 20 s timeout fails the test)."""
    server = Server('fixed', high_watermark=262144, slow_pull_ms=slow_pull_ms)
    try:
        before = server.counts()
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
        sock.settimeout(20)
        sock.connect(('127.0.0.1', server.port))
        f = sock.makefile('rb', buffering=0)
        with sock:
            sock.sendall(get('/stream'))
            received = []
            total = len(STREAM_CHUNK) * STREAM_CHUNKS

            class Slow:
                """Reads in 16 KB sips with a pause: the server's send
                buffer fills and stays full."""
                def readline(self):
                    line = b''
                    while not line.endswith(b'\n'):
                        line += f.read(1)
                    return line

                def read(self, n):
                    out = b''
                    while len(out) < n:
                        piece = f.read(min(16384, n - len(out)))
                        assert piece, 'connection closed early'
                        out += piece
                        received.append(len(piece))
                        if len(received) % 4 == 0:
                            time.sleep(0.005)
                    return out

            status, headers, body = read_response(Slow())
            assert status == 200 and len(body) == total
            assert body == STREAM_CHUNK * STREAM_CHUNKS
            assert f.read() == b''      # chunked: waitress closes after it
        after = server.counts()
        # The task thread waited for the main loop, which did the flushing.
        if not slow_pull_ms:        # (a slow pull gives the loop time to keep up)
            assert after['waits'] - before['waits'] > 0, (before, after)
        assert after['handle_write'] - before['handle_write'] > 0, (before, after)
    finally:
        server.stop()


# --------------------------------------------------------------------------
# In process: the guard, idempotence, the paste runner

@pytest.fixture
def spin(monkeypatch):
    monkeypatch.setattr(BaseWSGIServer, 'channel_class', BaseWSGIServer.channel_class)
    waitress_spin.remove()
    return waitress_spin


def test_apply_is_idempotent_and_removable(spin):
    assert spin.waitress_version() in spin.WRITTEN_FOR
    assert spin.apply() and spin.apply()
    assert BaseWSGIServer.channel_class is spin.SpinFreeChannel
    spin.remove()
    assert not spin.applied()


def test_other_waitress_version_warns_and_is_left_alone(spin, monkeypatch):
    monkeypatch.setattr(spin, 'waitress_version', lambda: '3.1.0')
    with pytest.warns(RuntimeWarning, match='waitress 3.1.0 is not 3.0.2'):
        assert spin.apply() is False
    assert BaseWSGIServer.channel_class is HTTPChannel


def test_paste_runner_applies_then_runs_waitress(spin, monkeypatch):
    calls = []
    monkeypatch.setattr(waitress, 'serve',
                        lambda app, **kw: calls.append((app, kw, spin.applied())))
    runner = next(e for e in importlib.metadata.entry_points(group='paste.server_runner')
                  if e.name == 'waitress' and e.value.startswith('minorconsent.')).load()
    assert runner is spin.serve_paste
    assert runner('the app', {}, listen='127.0.0.1:0', threads='8') == 0
    assert calls == [('the app', {'listen': '127.0.0.1:0', 'threads': '8'}, True)]


@pytest.mark.parametrize('ini', ['development.ini', 'production.ini'])
def test_ini_files_serve_with_the_fix(ini):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / ini)
    assert parser['server:main']['use'] == 'egg:minorconsent#waitress'


if __name__ == '__main__':
    _server_main(sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]),
                 float(sys.argv[5]))
