"""Odd URLs, as every role: never a 500, nothing written, and every "no"
looks exactly like "nothing here".

Paths start from what the role's crawl reached and from every target of
the authorization matrix (so client records a role may *not* see are
included), then get one to three edits: traversal names (``..``,
``%2e%2e``, ``.``), NUL and invalid UTF-8 (``%00``, ``%ff``, overlong
``%c0%ae``), RTL marks and other unicode (sent as UTF-8 percent escapes, as
a browser does), Python and ZODB attribute names (``__class__``,
``_p_jar``), view names (``@@x``, ``@@edit``), empty, doubled and trailing
slashes, a 10 KB segment, hundreds of segments, a record id swapped for
another family's or a made-up one, and query strings that are huge,
repeated, or not UTF-8.  Sent as GET, HEAD, or POST with a valid CSRF token.

What must hold, besides "below 500 and not the error page":

* Nothing is written to the clinic database (the session touch is made
  fresh before each example, see ``test_forms``), unless a POST was
  accepted (a redirect).
* Every 404 is the one not-found page, byte for byte (the invitation
  page's "This link is not valid" is the only other 404 body, and
  ``/static/`` answers Pyramid's own: it is outside the clinic's route).
* A path naming a real client that answers 404 answers exactly like the
  same path with a made-up client id: status, body, and headers except
  ``Date``, which is the comparison of
  ``tests/security/test_baseline.py::test_a_client_you_may_not_see_looks_exactly_like_no_client``
  applied to every generated path (``same_as_nothing`` below).

Before each example's request an admin publishes one random edit of a
workflow that the app's check accepts (``tests/workflow_edits.py``: grants
for any role in any state, added, renamed and removed states and steps,
with their documents moved to the new version), so the promise is checked
against any definition the validator accepts, not only the shipped ones:
a careless admin must not be able to turn a "no" into a page that shows
something, or into a 500.

The only JSON API is the FHIR API (``fhirapi/``): the session roles here
reach ``/fhir/`` from the authorization matrix and get 401; its own tests
fuzz it with a real token (tests/fhirapi/test_fhir_odd_paths.py, paths;
test_fhir_bad_input.py, queries).  Elsewhere JSON is only the FHIR consent
download of a staff page (``agreements/views.py``);
``test_the_only_json_api_is_the_fhir_api`` keeps that true.
"""
from urllib.parse import quote

import pytest
from hypothesis import event, given, strategies as st

from support import ROLES
from fuzzdata import EXAMPLES, fuzz_settings
from fuzzkit import class_names, example_layer, is_error_page, raw_request
from test_authorization_matrix import TABLE, target_path
from workflow_edits import describe, edits, publish_edit

pytestmark = pytest.mark.xdist_group('fuzz')

SEGMENTS = ['..', '%2e%2e', '%2E%2e', '.', '%2e', '...', '%00', 'a%00b', '%ff', '%c0%ae%c0%ae',
            '%e2%80%ae', '%ef%bb%bf', '%f0%9f%92%a5', '%', '%zz', '%2f', '%5c', '\\', ';', ';x=1',
            '@@x', '@@', '@@edit', '@@family', '@@mine', '@@step', '@@settings', '@@login',
            '__class__', '__dict__', '__getitem__', '_p_jar', '_p_oid', 'mro', 'settings',
            'sessions', 'sign_in_throttle', '__parent__', '__acl__', 'index', 'edit',
            '*', '~', '+', '%20', ' ', 'CON', 'x.pdf', 'static', 'audit.csv', 'summary.pdf',
            'x' * 10_000, 'doesnotexist', '0', '-1', '9' * 40]

UNICODE = st.text(st.characters(blacklist_categories=('Cs',)), min_size=1, max_size=20)

QUERIES = ['', '?', '?=', '?&&', '?page=-1', '?page=0', '?page=99999999999999999999',
           '?page=1e9', '?page=%ff', '?page=1&page=2', '?id=', '?id=..', '?id=draft&id=x',
           '?id=%00', '?token=', '?token=' + 'x' * 5000, '?q=' + 'y' * 20_000, '?%ff=%ff',
           '?a=%00b', '?lang=..', '?' + 'x=1&' * 1000, '?start=2026-02-30', '?day=99999-01-01',
           '?page=%E2%80%AE1']


def client_ids(demo):
    return (demo.mateo, demo.lucia, demo.ava)


def fake_of(path, demo):
    """``path`` with every real client id replaced by a made-up one."""
    for cid in client_ids(demo):
        path = path.replace(cid, 'Z' * len(cid))
    return path


def same_as_nothing(world, res, path, demo):
    """A 404 for a real client's path: identical to a made-up client's."""
    none = raw_request(world, 'GET', fake_of(path, demo))
    assert (res.status_int, res.body) == (none.status_int, none.body), path
    drop = ('Date',)
    assert ([h for h in res.headerlist if h[0] not in drop]
            == [h for h in none.headerlist if h[0] not in drop]), path


@st.composite
def odd_path(draw, bases, ids):
    base = draw(st.sampled_from(bases))
    path, _, query = base.partition('?')
    segments = path.split('/')
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(['append', 'append', 'insert', 'replace', 'unicode',
                                    'many', 'slash', 'id']))
        at = draw(st.integers(1, max(1, len(segments) - 1)))
        if how == 'append':
            segments.append(draw(st.sampled_from(SEGMENTS)))
        elif how == 'insert':
            segments.insert(at, draw(st.sampled_from(SEGMENTS)))
        elif how == 'replace' and len(segments) > 1:
            segments[at] = draw(st.sampled_from(SEGMENTS))
        elif how == 'unicode':
            segments.insert(at, quote(draw(UNICODE), safe=''))
        elif how == 'many':
            segments.extend([draw(st.sampled_from(['a', '..', '.', '', '@@x']))]
                            * draw(st.integers(50, 600)))
        elif how == 'slash':
            segments.insert(at, '')
        else:
            segments = '/'.join(segments).replace(
                draw(st.sampled_from(ids)), draw(st.sampled_from(ids))).split('/')
    path = '/'.join(segments)
    if not path.startswith('/'):
        path = '/' + path
    query = draw(st.one_of(st.just('?' + query if query else ''), st.sampled_from(QUERIES)))
    return path + query


def bases_of(world):
    bases = [p for p, status in world.pages.items() if status == 200]
    bases += sorted({target_path(world.demo, context) + name
                     for (context, name, method) in TABLE})
    return sorted(set(bases))


@pytest.mark.parametrize('role', ROLES)
def test_odd_urls_never_fail_and_no_looks_like_nothing(world_of, role):
    world = world_of(role)
    demo = world.demo
    ids = list(client_ids(demo)) + [demo.mateo_goal, demo.mateo_consent, 'Z' * len(demo.mateo)]
    nowhere = raw_request(world, 'GET', '/clients/doesnotexist/').body
    bases = bases_of(world)

    admin = demo.user_ids['admin']

    @fuzz_settings(max(10 * EXAMPLES, 60))
    @given(path=odd_path(bases, ids), method=st.sampled_from(['GET', 'GET', 'HEAD', 'POST']),
           edit=edits())
    def run(path, method, edit):
        def publish(clinic):
            event(describe(publish_edit(clinic, world.app.registry, edit, admin)))
        with example_layer(world, publish) as written:
            form = {'csrf_token': world.csrf} if method == 'POST' else None
            res = raw_request(world, method, path, form)
            assert res.status_int < 500 and not is_error_page(res), (method, path[:300], res.status)
            if not (method == 'POST' and 300 <= res.status_int < 400):
                changed = written()
                assert not changed, (method, path[:300], class_names(world, changed))
            if res.status_int == 404 and method == 'GET':
                # /static/ is Pyramid's static view, outside the clinic's
                # route (it names no record): its 404 is Pyramid's own.
                if b'This link is not valid' not in res.body and not path.startswith('/static'):
                    assert res.body == nowhere, path[:300]
                if fake_of(path, demo) != path:
                    same_as_nothing(world, res, path, demo)
    run()


def test_the_only_json_api_is_the_fhir_api():
    """JSON is read and answered in two places only: the FHIR API
    (``fhirapi/``: the SMART token endpoint and ``/fhir/``, fuzzed with a
    token by tests/fhirapi/test_fhir_odd_paths.py and
    test_fhir_bad_input.py, and by this module's session roles, which it
    answers 401) and the FHIR consent download of a staff page
    (``agreements/views.py``).  A JSON view anywhere else fails this:
    then fuzz it as those are fuzzed and add it here."""
    import pathlib
    import re
    import minorconsent
    root = pathlib.Path(minorconsent.__file__).parent
    api = re.compile(r"""renderer=['"]json['"]|json_body|request\.json\b|openapi""")
    found = [str(p.relative_to(root)) for p in root.rglob('*.py') if api.search(p.read_text())]
    assert all(path.startswith('fhirapi/') for path in found), found
    json_responses = [str(p.relative_to(root)) for p in root.rglob('*.py')
                      if re.search(r"""content_type=['"]application/[a-z+]*json""", p.read_text())]
    assert all(path.startswith('fhirapi/') or path == 'agreements/views.py'
               for path in json_responses), json_responses
