"""docs/FHIR-API.md works as written (issue 19, "Done when"): its Python
blocks make a key pair, and, with the client registered by the console
script's rules, get a token that reads /fhir/.  ``requests`` is played by
WebTest (same paths, same bodies), ``BASE`` by the test app's address."""
import json
import pathlib
import re
import types

from api_support import api_browser, bearer
from support import clinic_of

from minorconsent.site.clock import utcnow

DOC = pathlib.Path(__file__).resolve().parents[2] / 'docs' / 'FHIR-API.md'


def python_blocks():
    return re.findall(r'```python\n(.*?)```', DOC.read_text(), re.S)


class Answer:
    def __init__(self, res):
        self.res = res

    def json(self):
        return self.res.json


def fake_requests(browser):
    def path(url):
        assert url.startswith('http://localhost/'), url
        return url[len('http://localhost'):]
    return types.SimpleNamespace(
        get=lambda url, **kw: Answer(browser.get(path(url), **kw)),
        post=lambda url, data=None: Answer(browser.post(path(url), data)))


def test_the_documented_exchange_gets_a_token_that_reads_fhir(app, tmp_path, monkeypatch):
    make_keys, get_token = python_blocks()[:2]
    monkeypatch.chdir(tmp_path)
    exec(make_keys, {})
    jwks = (tmp_path / 'ehr.jwks.json').read_text()
    assert '"d"' not in jwks and json.loads(jwks)['keys'][0]['kid'] == 'ehr-2026-12'
    with clinic_of(app.db, app.registry) as clinic:
        client_id = clinic.api_clients.register(
            'Clinic EHR', jwks, ('system/Consent.rs', 'system/Goal.rs'), now=utcnow(),
            by='test', approved=True)
    browser = api_browser(app)
    code = get_token.replace("'https://portal.clinic.example'", "'http://localhost'")
    code = code.replace("CLIENT_ID = '...'", 'CLIENT_ID = %r' % client_id)
    code = code.replace('import json, secrets, time, requests', 'import json, secrets, time')
    scope = {'requests': fake_requests(browser)}
    exec(code, scope)
    token = scope['token']
    res = browser.get('/fhir/Consent', headers=bearer(token))
    assert res.status_int == 200 and res.json['resourceType'] == 'Bundle'
