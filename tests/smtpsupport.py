"""A real SMTP server for the mail tests: aiosmtpd in a process of its own,
writing every message it accepts into a maildir (``received()``)."""
import email
import mailbox
import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class SMTPServer:
    """aiosmtpd in its own process; every message it accepts goes into a
    maildir (``received()``)."""

    def __init__(self, folder, port):
        self.folder, self.port, self.process = Path(folder), port, None

    def start(self, *options):
        self.process = subprocess.Popen(
            [sys.executable, '-m', 'aiosmtpd', '-n', '-l', '127.0.0.1:%d' % self.port,
             *options, '-c', 'aiosmtpd.handlers.Mailbox', str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.wait_listening(self.process)

    def wait_listening(self, process):
        """Return once ``process`` (an SMTP server) listens on the port."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert process.poll() is None, 'the SMTP server did not start'
            try:
                socket.create_connection(('127.0.0.1', self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError('the SMTP server did not listen')

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def received(self):
        if not self.folder.exists():
            return []
        return [email.message_from_bytes(m.as_bytes())
                for m in mailbox.Maildir(str(self.folder), create=False)]
