"""The test server for tests/site/test_waitress_spin.py: a real waitress in
a subprocess pinned to one CPU (this file run as a script), whose main loop
counts its own turns and whose channels count their ``handle_write`` calls
(``/counts`` reports both), and the keep-alive clients that load it.
"""
import hashlib
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

import waitress
from waitress import wasyncore

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


if __name__ == '__main__':
    _server_main(sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]),
                 float(sys.argv[5]))
