"""Where a page's time goes, in process: the profile behind bench/RESULTS.md.

    .venv/bin/python bench/page_profile.py [--page richest|younger|list|signin]
        [--requests N] [--top K]

Builds the app as ``bench/child_trip.py`` does (the named demo families,
FileStorage in a temporary directory, no server), warms the page, then
runs N GETs of it (no WebTest: a WebOb request with the session cookie
straight into the WSGI app) twice: once timed, once under cProfile.  It
prints the page's URL and body size, the timed cost per GET, and the
profile split into the request's layers, each as its share of the
profiled time (cProfile inflates call-heavy code, so read the shares, and
the timed µs as the truth):

* router and retry: Pyramid's router and pyramid_retry around the rest;
* security headers tween, pyramid_tm (the transaction and its commit or
  abort);
* routing, traversal (``site.hidden``) and the security policy's questions
  before the view;
* the audit deriver's entry;
* the view's own work (for a guardian's child page: ``parent_view``, the
  whitelisted projection, and within it the permission checks);
* rendering (Jinja2 or Chameleon, with the layout).

Then the K most expensive functions by their own time.  Nothing here is
asserted; it is the profile RESULTS.md quotes where a target is missed.
"""
import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
import warnings

warnings.simplefilter('ignore')
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from child_trip import richest_child_page, seeded_app, signed_in  # noqa: E402

#: (layer, the function whose cumulative time it is, minus the function
#: whose cumulative time is inside it): (file suffix, function name).
LAYERS = (
    ('router and retry', ('pyramid/router.py', '__call__'), ('security/headers.py', 'security_tween')),
    ('security headers tween', ('security/headers.py', 'security_tween'),
     ('pyramid_tm/__init__.py', 'tm_tween')),
    ('pyramid_tm and the transaction', ('pyramid_tm/__init__.py', 'tm_tween'),
     ('pyramid/tweens.py', 'excview_tween')),
    ('routing, traversal, policy', ('pyramid/router.py', 'handle_request'),
     ('pyramid/view.py', '_call_view')),
    ('audit deriver', ('audit/access.py', 'audited'), ('pyramid/viewderivers.py', 'secured_view')),
    ('the view (all of it)', ('pyramid/viewderivers.py', 'rendered_view'),
     ('pyramid/renderers.py', 'render_view')),
    ('  of it, parent_view', ('portal/parentview.py', 'parent_view'), None),
    ('  of that, permission checks', ('workflow/engine.py', 'permits'), None),
    ('rendering (template and layout)', ('pyramid/renderers.py', 'render_view'), None),
)


def page_url(app, browser, which):
    if which == 'richest':
        return richest_child_page(browser)[1]
    if which == 'younger':
        family = browser.get('/family')
        links = {a.attrs['href'] for a in family.html.select('a[href]')
                 if a.attrs['href'].endswith('/family') and '/clients/' in a.attrs['href']}
        return min((len(browser.get(link).body), link) for link in links)[1]
    return {'list': '/clients/', 'signin': '/login'}[which]


def cumulative(stats, where):
    suffix, name = where
    return sum(entry[3] for (filename, _line, func), entry in stats.stats.items()
               if func == name and filename.endswith(suffix))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--page', choices=('richest', 'younger', 'list', 'signin'),
                        default='richest')
    parser.add_argument('--requests', type=int, default=500)
    parser.add_argument('--top', type=int, default=25)
    args = parser.parse_args(argv)
    from webob import Request
    with tempfile.TemporaryDirectory(prefix='minorconsent-profile-') as where:
        app, password = seeded_app(where)
        browser = signed_in(app, password)
        if args.page == 'list':
            browser = signed_in_as(app, password, 'therapist@demo.test')
        url = page_url(app, browser, args.page)
        path = url.replace('http://localhost', '')
        cookie = '' if args.page == 'signin' else '; '.join(
            '%s=%s' % (c.name, c.value) for c in browser.cookiejar)
        environ = {'HTTP_HOST': 'localhost', 'REMOTE_ADDR': '192.0.2.10', 'HTTP_COOKIE': cookie}

        def get():
            response = Request.blank(path, environ=dict(environ)).get_response(app)
            assert response.status_int == 200, response.status
            return response
        print('page: %s (%d bytes)' % (url, len(get().body)))
        for _ in range(200):
            get()
        started = time.perf_counter()
        for _ in range(args.requests):
            get()
        print('cost: %.0f µs per GET, timed, in process' % (
            (time.perf_counter() - started) / args.requests * 1e6))
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.requests):
            get()
        profile.disable()
    stats = pstats.Stats(profile)
    total = cumulative(stats, ('pyramid/router.py', '__call__'))
    print('profiled: %.0f µs per GET; the layers, as shares of it:' % (
        total / args.requests * 1e6))
    for layer, outer, inner in LAYERS:
        spent = cumulative(stats, outer) - (cumulative(stats, inner) if inner else 0)
        print('  %-34s %5.1f %%' % (layer, 100 * spent / total))
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats('tottime').print_stats(args.top)
    print(out.getvalue().split('\n', 4)[-1])


def signed_in_as(app, password, email):
    from webtest import TestApp
    browser = TestApp(app, extra_environ={'HTTP_HOST': 'localhost',
                                          'REMOTE_ADDR': '192.0.2.10'})
    form = browser.get('/login').forms['form']
    form['email'], form['password'] = email, password
    assert form.submit().status_int == 302
    return browser


if __name__ == '__main__':
    main()
