"""Per-client-IP rate limits for the doors that guessing goes through:
sign-in, the second-factor step, invitation links, password reset and the
change of one's email address (the form and its link).

The counters live in this process's memory, not in ZODB, on purpose: a
limit is checked on page views too (an invitation link opened), and a page
view must not cost a database commit of its own.  Each limit is a token
bucket per IP address (``burst`` requests at once, then one every
``per_seconds``), held in an LRU of at most ``max_keys`` addresses, so
memory stays bounded whatever an attacker sends (the least recently seen
address is forgotten first; forgetting only ever lets someone in earlier).

Known limit (docs/SECURITY.md): the buckets are *per process*.  With N
processes behind a balancer an address gets up to N times the budget, and a
restart forgets everything.  The per-address sign-in throttle
(``accounts/throttle.py``) is in ZODB and holds across processes; these
limits are the cheap first line in front of it.

``minorconsent.rate_limits = off`` turns them off (the test suite, which
signs in hundreds of times from one address; a benchmark).
"""
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from minorconsent.audit.recorder import make_entry
from minorconsent.site.i18n import _
from minorconsent.site.views import plain_page


@dataclass(frozen=True)
class Limit:
    burst: int            # requests allowed at once
    per_seconds: float    # then one more every this many seconds


#: name -> limit.  Generous for a person (a family typing a password wrong
#: a few times, a clinic sharing one NAT address), hopeless for a script.
LIMITS = {
    'sign-in': Limit(burst=20, per_seconds=6),           # ~10 a minute sustained
    'second-factor': Limit(burst=10, per_seconds=6),
    'invitation': Limit(burst=30, per_seconds=4),
    'reset-request': Limit(burst=5, per_seconds=60),       # each may send a mail
    'reset-link': Limit(burst=20, per_seconds=6),
    # A change of one's email address: checks the password, may send a mail.
    'email-change': Limit(burst=5, per_seconds=60),
    'email-link': Limit(burst=20, per_seconds=6),
    # Client URLs the address may not see, real or made up
    # (clients/hidden.py): no person needs more; a timing probe needs far more.
    'client-probe': Limit(burst=30, per_seconds=2),
    # Past that budget, one entry a minute per address on the trail.
    'client-probe-noted': Limit(burst=1, per_seconds=60),
    # Account URLs (/users/<id>...) of anyone but the admin, real or made
    # up (accounts/hidden.py); the same rule.
    'account-probe': Limit(burst=30, per_seconds=2),
    'account-probe-noted': Limit(burst=1, per_seconds=60),
}


class TokenBuckets:
    """Token buckets keyed by anything hashable, in a bounded LRU."""

    def __init__(self, limit, max_keys=10_000, clock=time.monotonic):
        self.limit = limit
        self.max_keys = max_keys
        self.clock = clock
        self._buckets = OrderedDict()     # key -> (tokens, last refill time)
        self._lock = threading.Lock()

    def take(self, key):
        """Spend one token for ``key``: 0 if allowed, else the seconds to
        wait until the next token (for ``Retry-After``)."""
        now = self.clock()
        limit = self.limit
        with self._lock:
            tokens, last = self._buckets.pop(key, (float(limit.burst), now))
            tokens = min(float(limit.burst), tokens + (now - last) / limit.per_seconds)
            if tokens >= 1:
                wait = 0
                tokens -= 1
            else:
                wait = max(1, math.ceil((1 - tokens) * limit.per_seconds))
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            return wait

    def __len__(self):
        return len(self._buckets)


class RateLimiter:
    """All limits of one app (``registry.rate_limiter``)."""

    def __init__(self, limits=None, enabled=True, max_keys=10_000, clock=time.monotonic):
        self.enabled = enabled
        self.buckets = {name: TokenBuckets(limit, max_keys, clock)
                        for name, limit in (limits or LIMITS).items()}

    def check(self, name, key):
        """0 when ``key`` may go on through door ``name``, else seconds to wait."""
        if not self.enabled or not key:
            return 0
        return self.buckets[name].take(key)


def check(request, name, key=None):
    """Spend one of the request's address's tokens at door ``name``: 0 if
    it may go on, else the seconds to wait."""
    ip = request.client_addr or ''
    return request.registry.rate_limiter.check(name, key if key is not None else ip)


def too_many(request, name, key=None):
    """None if the request may go on; else the 429 response to return.

    The 429 is a translated plain page with ``Retry-After``; it goes on
    the audit trail through the read buffer (no commit of its own: a flood
    must not turn into a flood of writes).
    """
    wait = check(request, name, key)
    if not wait:
        return None
    note_limited(request, name)
    return limited_page(request, wait)


def note_limited(request, name):
    """Put a refusal at door ``name`` on the trail (read buffer)."""
    identity = request.identity
    request.registry.audit_recorder.add(make_entry(
        'auth.rate_limited', actor=identity.userid if identity is not None else 'anonymous',
        detail=name, ip=request.client_addr or '', outcome='429'))


def limited_page(request, wait):
    """The 429 page: wait this many minutes, with ``Retry-After``."""
    minutes = max(1, math.ceil(wait / 60))
    response = plain_page(request, 429, _('Too many attempts'),
                          _('Please wait ${minutes} minute(s), then try again.',
                            mapping={'minutes': minutes}))
    response.headers['Retry-After'] = str(wait)
    return response


class ProbeBudget:
    """The placeholder road's budget (``site/hidden.py``): URLs an address
    may not see, real or made up, spend the ``limit`` door's tokens;
    past it, 429, and at most one trail entry a minute per address
    (``<limit>-noted``)."""

    def spend(self, request, limit):
        return check(request, limit)

    def refuse(self, request, limit, wait):
        if not check(request, limit + '-noted'):
            note_limited(request, limit)
        return limited_page(request, wait)
