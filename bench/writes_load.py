"""bench/writes.py's load: therapists signed in, each with its own session,
posting progress updates on the goals of their own caseload.

Python threads with ``http.client`` keep-alive connections rather than
wrk: every POST carries a note of its own (``<marker><n>``), so after the
run each acknowledged POST can be looked for in the database, and the
answer tells an acknowledged write (302 to the goal's page) from a form
shown again (200: nothing saved) or a redirect to the sign-in page.  A
write ceiling of tens to a few hundred requests a second is far below
what these threads can send from the other CPU.
"""
import html
import http.client
import itertools
import re
import threading
import time
import urllib.parse
from datetime import date, timedelta

FORM = 'application/x-www-form-urlencoded'


class NoAnswer(Exception):
    pass


class Connection:
    """One keep-alive connection; cookies belong to the therapist, not here."""

    def __init__(self, port):
        self.port = port
        self.conn = None

    def request(self, method, path, cookies, fields=None):
        """``(status, headers, text)``; Set-Cookie applied to ``cookies``."""
        body = urllib.parse.urlencode(fields).encode() if fields is not None else None
        headers = {'Cookie': '; '.join('%s=%s' % kv for kv in cookies.items())}
        if body is not None:
            headers['Content-Type'] = FORM
        for attempt in (1, 2):
            fresh = self.conn is None
            if fresh:
                self.conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=60)
            try:
                self.conn.request(method, path, body, headers)
                response = self.conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as err:
                self.close()
                if fresh or attempt == 2 or body is not None:
                    # A POST is never sent twice: the first may have committed.
                    raise NoAnswer(repr(err))
                continue
            for header in response.headers.get_all('Set-Cookie') or ():
                name, _, rest = header.partition('=')
                value = rest.split(';')[0]
                if 'max-age=0' in header.lower() or not value.strip('"'):
                    cookies.pop(name, None)
                else:
                    cookies[name] = value
            if response.getheader('Connection', '').lower() == 'close':
                self.close()
            return response.status, response.headers, data.decode('utf-8', 'replace')

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def csrf(page):
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    return html.unescape(found.group(1)) if found else ''


class Therapist:
    """A generated therapist (``therapist001@demo.test`` ...): a session,
    its CSRF token and goals ``(client, goal)`` of its own clients."""

    def __init__(self, email):
        self.email = email
        self.cookies = {}
        self.token = ''
        self.goals = []
        self.turn = itertools.count()

    def sign_in(self, conn, password, clients_each):
        _, _, page = conn.request('GET', '/login', self.cookies)
        status, _, _ = conn.request('POST', '/login', self.cookies, {
            'csrf_token': csrf(page), 'email': self.email, 'password': password,
            'sign_in': 'sign_in'})
        if status != 302:
            raise SystemExit('sign-in failed for %s (%s)' % (self.email, status))
        _, _, page = conn.request('GET', '/clients/', self.cookies)
        clients = list(dict.fromkeys(re.findall(r'href="[^"]*/clients/([^/"]+)/"', page)))
        for client in clients[:clients_each]:
            _, _, page = conn.request('GET', '/clients/%s/' % client, self.cookies)
            self.token = csrf(page) or self.token
            for goal in dict.fromkeys(re.findall(r'/goals/([^/"]+)/progress', page)):
                self.goals.append((client, goal))
        if not self.goals or not self.token:
            raise SystemExit('%s sees no goals on its first %d clients' % (
                self.email, clients_each))

    def next_goal(self):
        """Each POST of a therapist goes to its next goal (client after client)."""
        return self.goals[next(self.turn) % len(self.goals)]


def sign_in_all(port, count, password, clients_each, parallel=4):
    """``count`` therapists signed in, ``parallel`` at a time (argon2id
    hashing makes each sign-in deliberately slow)."""
    therapists = [Therapist('therapist%03d@demo.test' % n) for n in range(1, count + 1)]
    failures = []

    def work(mine):
        conn = Connection(port)
        try:
            for therapist in mine:
                therapist.sign_in(conn, password, clients_each)
        except BaseException as err:      # reported from the main thread
            failures.append(err)
        finally:
            conn.close()
    threads = [threading.Thread(target=work, args=(therapists[k::parallel],))
               for k in range(parallel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return therapists


class Outcome:
    """What one timed run of the load saw."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latency = []          # seconds, of requests ended in the window
        self.status = {}           # answer -> count, in the window
        self.acknowledged = set()  # every note answered 302 to its goal, warm-up too
        self.unacknowledged = []   # notes of POSTs without an acknowledgement
        self.examples = []


def drive(port, therapists, connections, seconds, warmup, marker, outcome, sample=None):
    """``connections`` threads, each with the therapists ``k, k+C, ...`` in
    turn (their own cookies and token), POST progress as fast as answered
    for ``warmup + seconds``; only requests ended after the warm-up are
    timed.  ``sample()`` ({name: CPU seconds} of the server processes) is
    called as the window opens and closes.  Returns ``(window seconds,
    {name: CPU seconds in it})``."""
    stop = threading.Event()
    day = (date.today() - timedelta(days=1)).isoformat()
    ratings = ('improving', 'in-progress', 'sustaining', 'no-change')
    begin = time.perf_counter()
    window = [begin + warmup, None]
    numbers = itertools.count()

    def work(k):
        conn = Connection(port)
        mine = therapists[k::connections]
        for n in itertools.count():
            if stop.is_set():
                break
            therapist = mine[n % len(mine)]
            client, goal = therapist.next_goal()
            note = '%s%d' % (marker, next(numbers))
            started = time.perf_counter()
            try:
                status, headers, text = conn.request(
                    'POST', '/clients/%s/goals/%s/progress' % (client, goal), therapist.cookies,
                    {'csrf_token': therapist.token, 'day': day, 'rating': ratings[n % 4],
                     'parent_note': note, 'save_progress': 'save_progress'})
                location = headers.get('Location', '')
            except NoAnswer as err:
                status, location, text = 'no answer', '', str(err)
            ended = time.perf_counter()
            if status == 302 and '/goals/%s' % goal in location:
                answer = 302
            elif status == 302:
                answer = '302 elsewhere'
            else:
                answer = status
            with outcome.lock:
                if answer == 302:
                    outcome.acknowledged.add(note)
                else:
                    outcome.unacknowledged.append(note)
                    if len(outcome.examples) < 5:
                        outcome.examples.append((answer, location or text[:300]))
                if ended >= window[0] and (window[1] is None or ended <= window[1]):
                    outcome.latency.append(ended - started)
                    outcome.status[answer] = outcome.status.get(answer, 0) + 1
        conn.close()
    threads = [threading.Thread(target=work, args=(k,), daemon=True)
               for k in range(connections)]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, window[0] - time.perf_counter()))
    cpu = sample() if sample else {}
    time.sleep(max(0.0, window[0] + seconds - time.perf_counter()))
    window[1] = time.perf_counter()
    cpu = {name: seconds - cpu[name] for name, seconds in sample().items()} if sample else {}
    stop.set()
    for thread in threads:
        thread.join(120)
    return window[1] - window[0], cpu


def percentile(values, fraction):
    if not values:
        return float('nan')
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]
