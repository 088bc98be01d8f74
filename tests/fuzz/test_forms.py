"""Bad input to every POST form: never a 500, never a change on rejection.

Which forms
    Not a hand list.  For each of the nine matrix roles, ``fuzzkit`` crawls
    what that role can reach from its home page (same-site links, query
    strings kept, at most 80 pages) and collects every ``<form
    method=post>``: its action and, in document order, every control
    (types, select options, radio and checkbox values, hidden fields
    including the CSRF token, deform's ``__formid__``, ``_charset_`` and
    its ``__start__``/``__end__`` sequence markers, the submit buttons).
    Forms of one view that differ only by the record they sit on are
    fuzzed once.  Then every view of the authorization matrix that the
    crawl found no form for is added as a bare POST (CSRF token only), so
    views a role cannot reach are fuzzed too.  A view added to the app
    joins the fuzz through the matrix (whose own test fails until it has a
    row) and, once linked from a page, through the crawl.

What is sent
    ``fuzzdata.mutated``: the untouched submission (empty text fields get
    plausible values, so it is usually valid), then one to four edits: a
    value replaced by random unicode, RTL marks, NUL, up to 100 KB; a field
    dropped, repeated, or added under an unknown name; text where a number,
    date, select or checkbox value belongs; impossible dates (2026-02-30,
    year 0, year 99999); unbalanced deform sequence markers; another or a
    garbled submit button; uploads of junk bytes.  Deform forms go as
    multipart or urlencoded.  The CSRF token stays valid, so the request
    reaches the form code; ``test_a_bad_csrf_token_is_refused_and_changes_nothing``
    sends it missing or wrong.

What must hold
    Every answer is below 500 and is not the error page; a deform form's
    400 carries an error next to a field.  A *rejected*
    request changes nothing: a 4xx, or a page re-shown (any 2xx HTML
    answer).  Accepted requests (redirects, downloads) may write, but what
    they stored must not break the pages showing it: the redirect's target
    and the page the form was on are fetched and must answer below 500
    (a date of birth in year 1 that is accepted and then crashes the
    client page is a bug too).

How "changes nothing" is checked
    Each example runs on its own ``DemoStorage`` layered over the role's
    world (``fuzzkit.example_layer``), so everything the example commits is
    in that layer's ``changes`` storage: the written oids are read from it
    after the request, exactly, rather than inferred from a before/after
    last-transaction id.  Two things are not counted, for stated reasons:

    * Reads append to the audit trail, which lives in its own database
      (``zodbconn.uri.audit``); only the clinic database is compared, and a
      rejected request is *expected* to be on the trail.
    * A page view may commit the once-a-minute session touch.  Before each
      example the role's session gets a fresh ``last_seen`` (committed
      before the mark), so the touch cannot fire during it: the comparison
      is strict, and a touch that fired anyway would be reported.
    * A failed sign-in is a deliberate write: the throttle counts it
      (``accounts/throttle.py``).  For ``/login`` only, writes to objects
      reachable from ``clinic.sign_in_throttle`` are allowed.

    Objects created by the request (oids not in the base) are ignored: they
    are unreachable unless an existing object that points at them was also
    written, and that one is counted.
"""
import uuid
from urllib.parse import urlencode, urlsplit

import pytest
from hypothesis import given, strategies as st
from webtest.forms import Upload

from support import ROLES
from fuzzdata import fuzz_settings, mutated
from fuzzkit import class_names, example_layer, is_error_page, raw_request

pytestmark = pytest.mark.xdist_group('fuzz')


def encode(pairs, multipart):
    """``(body, content type)`` as a browser builds them (UTF-8 names and
    values; WebTest's own multipart encoder refuses non-ASCII names)."""
    if not multipart:
        return (urlencode([(n, v) for n, v in pairs]).encode('ascii'),
                'application/x-www-form-urlencoded')
    boundary = '----fuzz%s' % uuid.uuid4().hex
    chunks = []
    for name, value in pairs:
        quoted = name.replace('"', '%22').replace('\r', '%0D').replace('\n', '%0A')
        if isinstance(value, Upload):
            head = ('--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\n'
                    'Content-Type: %s\r\n\r\n'
                    % (boundary, quoted, value.filename.replace('"', '%22'),
                       value.content_type or 'application/octet-stream'))
            data = value.content
        else:
            head = ('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n'
                    % (boundary, quoted))
            data = value.encode('utf-8')
        chunks += [head.encode('utf-8'), data, b'\r\n']
    chunks.append(('--%s--\r\n' % boundary).encode('ascii'))
    return b''.join(chunks), 'multipart/form-data; boundary=%s' % boundary


def submit(world, form, pairs, multipart):
    body, content_type = encode(pairs, multipart)
    # Through extra_environ: a multipart content_type makes WebTest re-encode.
    return world.fresh_browser().post(form.action, body, expect_errors=True,
                                      extra_environ={'CONTENT_TYPE': content_type})


def accepted(res):
    """A redirect, or a download: the request did what it was for."""
    return 300 <= res.status_int < 400 or (
        res.status_int < 300 and 'html' not in (res.content_type or ''))


def check(world, form, pairs, res, written, throttle_ok=True):
    where = '%s %s as %s' % (form.origin, form.action, world.role)
    assert res.status_int < 500 and not is_error_page(res), (
        '%s answered %s for %r' % (where, res.status, _short(pairs)))
    if accepted(res):
        # What was accepted must not break the pages that show it: the
        # redirect's target and the page the form was on.
        after = [urlsplit(res.location) if res.location else None]
        after = [u.path + ('?' + u.query if u.query else '') for u in after if u]
        for path in after + ([form.page] if form.page else []):
            page = raw_request(world, 'GET', path)
            assert page.status_int < 500 and not is_error_page(page), (
                '%s accepted %r, then GET %s answered %s' % (where, _short(pairs), path,
                                                              page.status))
        return
    if (res.status_int == 400 and 'html' in res.content_type and throttle_ok
            and any(f.name == '__formid__' for f in form.fields)):
        # A deform form refuses with its fields' errors beside them.
        assert 'id="error-' in res.text or 'class="error' in res.text, (
            '%s refused %r without a field error' % (where, _short(pairs)))
    allowed = world.protected if throttle_ok and urlsplit(form.action).path == '/login' else ()
    changed = written() - set(allowed)
    assert not changed, ('%s rejected (%s) but wrote %s for %r'
                         % (where, res.status, class_names(world, changed), _short(pairs)))


def _short(pairs):
    return [(n[:40], v[:60] + ('...(%d)' % len(v) if len(v) > 60 else '')
             if isinstance(v, str) else v) for n, v in pairs]


def fuzz_form(world, form, examples=None, keep_csrf=True, shrink=True):
    @fuzz_settings(examples, shrink)
    @given(data=st.data())
    def run(data):
        pairs, multipart = data.draw(mutated(form, keep_csrf=keep_csrf))
        with example_layer(world) as written:
            res = submit(world, form, pairs, multipart)
            check(world, form, pairs, res, written)
    run()


@pytest.mark.parametrize('role', ROLES)
def test_every_form_a_role_can_reach_survives_bad_input(world_of, role):
    world = world_of(role)
    crawled = [f for f in world.forms if f.origin == 'crawl']
    # Everyone signed in has at least sign-out, language and password;
    # anonymous people at least the sign-in form.
    assert len(crawled) >= (1 if role == 'anonymous' else 3), (
        'the crawl found too few forms: %s' % world.pages)
    if role == 'therapist':
        assert len(crawled) >= 15, [f.action for f in crawled]
    for form in crawled:
        fuzz_form(world, form)


@pytest.mark.parametrize('role', ROLES)
def test_every_matrix_view_survives_bad_posts(world_of, role):
    """Views the crawl did not reach (most are not this role's): a bare
    POST with mutations answers < 500 and changes nothing."""
    world = world_of(role)
    matrix = [f for f in world.forms if f.origin == 'matrix']
    assert len(matrix) > 40

    @fuzz_settings(max(len(matrix), 60))
    @given(data=st.data())
    def run(data):
        form = data.draw(st.sampled_from(matrix))
        pairs, multipart = data.draw(mutated(form))
        with example_layer(world) as written:
            res = submit(world, form, pairs, multipart)
            check(world, form, pairs, res, written)
    run()


@pytest.mark.parametrize('role', ROLES)
def test_a_bad_csrf_token_is_refused_and_changes_nothing(world_of, role):
    """Missing, empty, another session's or a garbled token: the form
    code is never reached (400 "This form has expired"), nothing written."""
    world = world_of(role)
    other = world_of('anonymous' if role != 'anonymous' else 'therapist').csrf
    bad = st.one_of(st.none(), st.sampled_from(['', other, world.csrf + 'x', world.csrf[:-1],
                                                 world.csrf.upper(), '\x00', 'é' * 50]))
    crawled = [f for f in world.forms if f.origin == 'crawl']

    @fuzz_settings(max(3 * len(crawled), 10))
    @given(data=st.data())
    def run(data):
        form = data.draw(st.sampled_from(crawled))
        pairs = [p for p in form.baseline() if p[0] != 'csrf_token']
        token = data.draw(bad)
        if token is not None:
            pairs.insert(data.draw(st.integers(0, len(pairs))), ('csrf_token', token))
        with example_layer(world) as written:
            res = submit(world, form, pairs, form.multipart)
            assert res.status_int == 400 and 'This form has expired' in res.text, (
                form.action, token, res.status)
            check(world, form, pairs, res, written, throttle_ok=False)
    run()
