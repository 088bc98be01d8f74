"""The token endpoint never answers 500 (issue 19, "Bad input"): generated
form fields, and generated claims signed with the client's real key (so
they get past the signature to the claim checks), each answer a 200 or an
OAuth 2.0 error JSON; a token only for claims that satisfy every rule."""
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api_support import (ALL_SCOPES, TOKEN_PATH, TOKEN_URL, api_browser, assertion,
                         register_client, token_request)

ERRORS = {'invalid_request', 'invalid_client', 'invalid_scope', 'unsupported_grant_type'}
FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=8)


def check_answer(res):
    assert res.status_int in (200, 400, 401), res.status
    assert res.content_type == 'application/json'
    if res.status_int == 200:
        assert set(res.json) == {'access_token', 'token_type', 'expires_in', 'scope'}
    else:
        assert res.json['error'] in ERRORS


@FUZZ
@given(fields=st.dictionaries(
    st.sampled_from(['grant_type', 'client_assertion_type', 'client_assertion', 'scope',
                     'client_id', 'other']),
    st.text(max_size=200), max_size=6))
def test_generated_form_fields_never_500(app, fields):
    res = api_browser(app).post(TOKEN_PATH, fields, expect_errors=True)
    check_answer(res)
    assert res.status_int != 200


@FUZZ
@given(claims=st.fixed_dictionaries({}, optional={
    'iss': json_values, 'sub': json_values, 'aud': json_values | st.just(TOKEN_URL),
    'exp': json_values | st.integers(int(time.time()) - 600, int(time.time()) + 600),
    'nbf': json_values, 'jti': json_values | st.text(min_size=1, max_size=300)}),
    scope=st.text(max_size=100) | st.sampled_from(ALL_SCOPES))
def test_generated_signed_claims_never_500(app, claims, scope):
    client_id, key = register_client(app)
    drop = {name: None for name in ('iss', 'sub', 'aud', 'exp', 'jti') if name not in claims}
    # Without a generated iss the client is named rightly: the later checks run.
    claims.setdefault('iss', client_id)
    fields = token_request(client_id, key, scopes=(scope,))
    fields['client_assertion'] = assertion(client_id, key, **dict(drop, **claims))
    res = api_browser(app).post(TOKEN_PATH, fields, expect_errors=True)
    check_answer(res)
    if res.status_int == 200:
        assert claims['iss'] == claims.get('sub') == client_id
        assert claims.get('aud') == TOKEN_URL
