"""At most ``concurrency`` argon2 hashes run at once (each takes 64 MiB in
the default profile), however many sign-ins arrive together."""
import threading
import time

from minorconsent.security.passwords import Passwords


class CountingHasher:
    """Stands in for argon2's hasher and records how many run at once."""

    def __init__(self):
        self.lock = threading.Lock()
        self.running = self.most = 0

    def _work(self, result):
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.02)
        with self.lock:
            self.running -= 1
        return result

    def hash(self, password):
        return self._work('hash')

    def verify(self, password_hash, password):
        return self._work(True)


def _crowd(passwords, calls):
    threads = [threading.Thread(target=call, args=(passwords,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_hashes_and_verifications_share_the_bounded_slots():
    for limit in (1, 2):
        passwords = Passwords('cheapest', concurrency=limit)
        counting = passwords.hasher = CountingHasher()
        _crowd(passwords, [lambda p: p.hash('a long passphrase'),
                           lambda p: p.verify('stored', 'a long passphrase')] * 4)
        assert counting.most == limit


def test_verification_still_answers_correctly():
    passwords = Passwords('cheapest', concurrency=1)
    stored = passwords.hash('correct horse battery')
    assert passwords.verify(stored, 'correct horse battery')
    assert not passwords.verify(stored, 'wrong horse battery')
    assert not passwords.verify(None, 'correct horse battery')
