"""bench/pages.py's pages: which URL each page is, the signed-in cookie
that reaches it, the wrk script that loads it, and the check that its
answer is the page named (status 200 and a marker of that page; a
sign-in redirect or a 404 would otherwise be measured as a fast page:
wrk counts a 302 as a success)."""
import html
import json
import os
import re
import subprocess
import textwrap
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.cookiejar import CookieJar

from pages_apps import pinned

#: The pages measured by default (GETs), and the writes measured on request
#: (``--pages POST`` or ``--pages all``).
GET_PAGES = ('guardian richest child', 'guardian younger child', 'therapist client list',
             'therapist client page', 'sign-in page')
POST_PAGES = ('progress update POST', 'sign-in POST')
#: The references, measured next to every page in each round.
REFERENCES = ('hello', 'reference')

REPORT = textwrap.dedent('''
    done = function(summary, latency, requests)
      local errors = summary.errors.status + summary.errors.connect + summary.errors.read
                     + summary.errors.write + summary.errors.timeout
      io.write(string.format(
        '{"rps": %f, "p50": %f, "p95": %f, "p99": %f, "errors": %d, "requests": %d}\\n',
        summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
        latency:percentile(95) / 1000, latency:percentile(99) / 1000, errors,
        summary.requests))
    end
''')

#: Each sign-in is a different parent of the generated clients (a crowd
#: signing in after a summary email, not one account signing in 8 times).
SIGN_IN_ROTATION = textwrap.dedent('''
    local n = 0
    request = function()
      n = n + 1
      local body = string.format(wrk.body, n %% %d)
      return wrk.format(nil, nil, nil, body)
    end
''')


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kw):
        return None


class Client:
    """A browser without redirects: cookies, CSRF tokens, form posts."""

    def __init__(self, base):
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def get(self, path):
        return self.post(path, None)

    def post(self, path, data):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=30) as res:
                return res.status, res.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def csrf(self, path):
        return html.unescape(re.search(r'name="csrf_token" value="([^"]+)"',
                                       self.get(path)[1]).group(1))

    def cookie_header(self):
        return '; '.join('%s=%s' % (c.name, c.value) for c in self.jar)

    def sign_in(self, email, password):
        token = self.csrf('/login')
        status, _ = self.post('/login', {'csrf_token': token, 'email': email,
                                         'password': password, 'sign_in': 'sign_in'})
        assert status == 302, 'sign-in failed for %s (%s)' % (email, status)


@dataclass
class Target:
    """One page of one app: what wrk loads and how its answer is checked."""
    url: str
    script: object                  # the wrk Lua file
    method: str = 'GET'
    cookie: str = ''
    markers: tuple = ()             # strings the page named must contain
    rows: int = 0                   # client rows it must list (the list page)
    body: str = ''                  # a POST's form (``%05d``: the rotation's number)

    def check(self):
        """``(status, body bytes, problem or '')`` of one request as wrk
        sends it: a GET must answer 200 with the markers, a POST must
        redirect (a write done, a sign-in accepted; a rejected form answers
        200 with the form again, which wrk would count as a success)."""
        headers = {'Cookie': self.cookie} if self.cookie else {}
        data = None
        if self.method == 'POST':
            headers['Content-Type'] = 'application/x-www-form-urlencoded'
            data = (self.body % 1 if '%05d' in self.body else self.body).encode()
        request = urllib.request.Request(self.url, data, headers, method=self.method)
        opener = urllib.request.build_opener(_NoRedirect())
        try:
            with opener.open(request, timeout=30) as res:
                status, body = res.status, res.read()
        except urllib.error.HTTPError as err:
            status, body = err.code, err.read()
        if self.method == 'POST':
            return status, 0, '' if status in (302, 303) else 'status %d' % status
        text = body.decode(errors='replace')
        problem = '' if status == 200 else 'status %d' % status
        missing = [m for m in self.markers if m not in text]
        if not problem and missing:
            problem = 'no %r in the page' % missing[0]
        if not problem and self.rows and len(client_rows(text)) != self.rows:
            problem = '%d client rows, not %d' % (len(client_rows(text)), self.rows)
        return status, len(body), problem


def client_rows(text):
    return set(re.findall(r'href="[^"]*/clients/([^/"]+)/"', text))


def lua(path, method='GET', headers=None, body='', extra=''):
    lines = ['wrk.method = %s' % json.dumps(method)]
    for name, value in (headers or {}).items():
        lines.append('wrk.headers[%s] = %s' % (json.dumps(name), json.dumps(value)))
    if body:
        lines.append('wrk.body = %s' % json.dumps(body))
    path.write_text('\n'.join(lines) + '\n' + extra + REPORT)
    return path


def wrk(url, seconds, connections, script):
    cpu = pinned(1) if (os.cpu_count() or 1) > 1 else []
    out = subprocess.run(cpu + ['wrk', '-t1', '-c%d' % connections, '-d%ds' % seconds,
                                '--timeout', '10s', '-s', str(script), url],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def family_pages(guardian):
    """``[(body bytes, path)]`` of the guardian's child pages on /family,
    largest first: the richest (notices, agreements, goal charts,
    summaries) is then the first, whatever order /family lists them in."""
    family = guardian.get('/family')[1]
    paths = sorted(set(re.findall(r'href="(?:https?://[^/"]+)?(/clients/[^/"]+/family)"',
                                  family)))
    return sorted(((len(guardian.get(path)[1].encode()), path) for path in paths),
                  reverse=True)


def pages_for(name, base, workdir, demo_password, generated, list_rows):
    """{page: Target} for one app, with its own signed-in sessions.
    ``generated``: the clinic's generated clients (whose parents sign in);
    ``list_rows``: the client rows the therapist's list must show."""
    guardian, therapist, anonymous = Client(base), Client(base), Client(base)
    guardian.sign_in('guardian@demo.test', demo_password)
    # A generated therapist: a full caseload (25 clients a page) at any size.
    therapist.sign_in('therapist001@demo.test', demo_password)
    children = family_pages(guardian)
    if len(children) < 2:
        raise SystemExit('%s: guardian@demo.test has %d child pages, not 2' % (
            name, len(children)))
    richest, younger = children[0][1], children[-1][1]
    client = sorted(client_rows(therapist.get('/clients/')[1]))[0]
    record = therapist.get('/clients/%s/' % client)[1]
    goal = re.search(r'/goals/([^/"]+)/progress', record).group(1)
    progress = '/clients/%s/goals/%s/progress' % (client, goal)
    token = therapist.csrf(progress)
    login_token = anonymous.csrf('/login')
    form = 'application/x-www-form-urlencoded'
    as_guardian = {'Cookie': guardian.cookie_header()}
    as_therapist = {'Cookie': therapist.cookie_header()}
    child = ('My family', 'Goals and progress')
    update = urllib.parse.urlencode({'csrf_token': token, 'day': '2026-11-20',
                                     'rating': 'improving', 'parent_note': '',
                                     'save': 'save'})
    crowd = urllib.parse.urlencode({'csrf_token': login_token, 'email': 'EMAIL',
                                    'password': demo_password, 'sign_in': 'sign_in'}
                                   ).replace('EMAIL', 'parent%05d%%40demo.test')

    def script(page):
        return workdir / ('%s-%s.lua' % (name, page.replace(' ', '-')))
    return {
        'guardian richest child': Target(
            base + richest, lua(script('richest'), headers=as_guardian),
            cookie=as_guardian['Cookie'], markers=child),
        'guardian younger child': Target(
            base + younger, lua(script('younger'), headers=as_guardian),
            cookie=as_guardian['Cookie'], markers=child),
        'therapist client list': Target(
            base + '/clients/', lua(script('list'), headers=as_therapist),
            cookie=as_therapist['Cookie'], markers=('My clients',), rows=list_rows),
        'therapist client page': Target(
            base + '/clients/%s/' % client, lua(script('client'), headers=as_therapist),
            cookie=as_therapist['Cookie'], markers=('Client record',)),
        # A first visit: no cookie, as a parent following the email's link.
        'sign-in page': Target(
            base + '/login', lua(script('login-page')),
            markers=('name="csrf_token"', 'name="password"')),
        'progress update POST': Target(
            base + progress, lua(script('progress'), 'POST',
                                 dict(as_therapist, **{'Content-Type': form}), update),
            'POST', as_therapist['Cookie'], body=update),
        'sign-in POST': Target(
            base + '/login', lua(script('sign-in'), 'POST',
                                 {'Cookie': anonymous.cookie_header(), 'Content-Type': form},
                                 crowd, extra=SIGN_IN_ROTATION % max(generated, 1)),
            'POST', anonymous.cookie_header(), body=crowd),
    }


def references(servers, workdir, password):
    """{'hello': Target, 'reference': Target}: the bare app's "Hello", and
    bench/reference_app.py's record page as its guardian (signed in once)."""
    found = {'hello': Target(servers['hello'] + '/', lua(workdir / 'hello.lua'),
                             markers=('Hello',))}
    guardian = Client(servers['reference'])
    status, _ = guardian.post('/login', {'email': 'guardian-a@demo.test',
                                         'password': password})
    assert status == 302, 'sign-in to the reference failed (%s)' % status
    cookie = guardian.cookie_header()
    found['reference'] = Target(
        servers['reference'] + '/records/r1',
        lua(workdir / 'reference.lua', headers={'Cookie': cookie}), cookie=cookie,
        markers=('Goals and progress', 'Child of guardian-a'))
    return found


def selected(words):
    """The pages ``--pages`` names: those whose name contains one of the
    words (``all``: every page); none given, the GET pages."""
    if not words:
        return list(GET_PAGES)
    every = GET_PAGES + POST_PAGES
    if 'all' in words:
        return list(every)
    return [page for page in every if any(word in page for word in words)]
