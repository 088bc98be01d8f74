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
import socket
import time

import pytest

from waitress_harness import (SMALL, BIG, STREAM_CHUNK, STREAM_CHUNKS, FILE_BYTES, Server, read_response, get, per_request)


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
