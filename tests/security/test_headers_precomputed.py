"""The security headers worked out once per app (issue 20) leave every
response exactly as the per-response ``headers.update`` and the no-store
pair did: same headers, same values, same order."""
import itertools

import pytest
from pyramid.response import Response

from minorconsent.security.headers import BASE_HEADERS, security_headers
from support import new_browser


def the_old_way(response, hsts):
    """What the tween did to each response before issue 20."""
    headers = dict(BASE_HEADERS)
    if hsts:
        headers['Strict-Transport-Security'] = 'max-age=31536000'
    response.headers.update(headers)
    if response.cache_control.max_age is None:
        response.headers['Cache-Control'] = 'no-store'
        response.headers['Pragma'] = 'no-cache'
    return response


#: Headers a view or Pyramid may have set already.
EXTRAS = (
    ('Cache-Control', 'max-age=3600'),
    ('cache-control', 'public, max-age=0'),
    ('Cache-Control', 'no-cache'),
    ('Cache-Control', ''),
    ('Pragma', 'x'),
    ('x-frame-options', 'SAMEORIGIN'),
    ('Content-Security-Policy', "default-src *"),
    ('Set-Cookie', 'a=b'),
    ('Set-Cookie', 'c=d'),
    ('Expires', 'Thu, 01 Jan 1970 00:00:00 GMT'),
)


def responses():
    for count in range(3):
        for extras in itertools.combinations(EXTRAS, count):
            response = Response(body=b'<p>hi</p>', content_type='text/html')
            response.headerlist.extend(extras)
            yield response


def copy_of(response):
    copy = Response(body=response.body)
    copy.headerlist = list(response.headerlist)
    return copy


@pytest.mark.parametrize('hsts', [False, True])
def test_every_response_gets_the_same_header_list(hsts):
    apply = security_headers({'minorconsent.hsts': 'true' if hsts else 'false'}).apply
    checked = 0
    for response in responses():
        expected = the_old_way(copy_of(response), hsts).headerlist
        assert apply(response).headerlist == expected, expected
        checked += 1
    assert checked > 50


def test_a_page_view_gets_the_constant_headers_and_no_store(app):
    res = new_browser(app).get('/login')
    for name, value in BASE_HEADERS.items():
        assert res.headers[name] == value
    assert res.headers['Cache-Control'] == 'no-store'
    assert res.headers['Pragma'] == 'no-cache'
    assert 'Strict-Transport-Security' not in res.headers
