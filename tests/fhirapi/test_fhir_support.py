"""Helpers the FHIR API tests share (issue 19 item 2): the clinic's own ids
on the seeded clients, a caller holding a grant, and the R4B validation of
every resource an answer holds.

A grant is given either by a real token (``tests/fhirapi/api_support.py``,
the authorization half's helpers: registered client, signed assertion,
token endpoint) or, for tests of the resource half alone, by standing in
for ``request.api_grant`` through ``views.grant_of`` (the one place the
views read it).
"""
from datetime import datetime, timedelta, timezone

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.consent import Consent
from fhir.resources.R4B.documentreference import DocumentReference
from fhir.resources.R4B.goal import Goal
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.relatedperson import RelatedPerson
from fhir.resources.R4B.binary import Binary
from webtest import TestApp

from minorconsent.caseload.store import remember
from minorconsent.fhirapi import views
from minorconsent.fhirapi.grant import Grant

MODELS = {'Bundle': Bundle, 'CapabilityStatement': CapabilityStatement, 'Consent': Consent,
          'DocumentReference': DocumentReference, 'Goal': Goal,
          'OperationOutcome': OperationOutcome, 'Patient': Patient,
          'RelatedPerson': RelatedPerson, 'Binary': Binary}
ALL_SCOPES = frozenset('system/%s.rs' % t for t in
                       ('Patient', 'Consent', 'Goal', 'DocumentReference', 'RelatedPerson'))
SYSTEM = 'http://localhost/fhir/NamingSystem/client-id'


def mrn(number):
    return 'MRN-%04d' % number


def give_clinic_ids(clinic):
    """Every client gets the clinic's own id ``MRN-0001`` ... in the order
    of its app id (as an import would set it); returns ``{client id: MRN}``."""
    given = {}
    for number, cid in enumerate(sorted(clinic['clients'].keys()), 1):
        remember(clinic, clinic['clients'][cid], mrn(number))
        given[cid] = mrn(number)
    return given


def grant(scopes=ALL_SCOPES, client_id='apiclient1'):
    return Grant(client_id, frozenset(scopes), datetime.now(timezone.utc) + timedelta(minutes=5))


def api(app, monkeypatch, given=None):
    """A WebTest browser whose requests hold ``given`` as their grant
    (None: no token)."""
    monkeypatch.setattr(views, 'grant_of', lambda request: given)
    return TestApp(app, extra_environ={'HTTP_HOST': 'localhost', 'REMOTE_ADDR': '192.0.2.77'})


def validate(resource):
    """The resource parsed by its R4B model (raises on anything invalid);
    a Bundle's entries each by their own model too."""
    model = MODELS[resource['resourceType']]
    model.model_validate(resource) if hasattr(model, 'model_validate') else model.parse_obj(resource)
    for entry in resource.get('entry', ()):
        validate(entry['resource'])
    return resource


class EHR:
    """An EHR as the issue describes one: a registered API client holding a
    real bearer token from the token endpoint (the authorization half's
    helpers), reading ``/fhir/`` with no cookie."""

    def __init__(self, app, scopes=None):
        # Imported here, not at the top: api_support imports the test
        # ``support`` module, and this module is imported by pytest too.
        from api_support import ALL_SCOPES as GRANTABLE, api_browser, register_client, token_for
        scopes = tuple(scopes or GRANTABLE)
        self.client_id, key = register_client(app, scopes=scopes)
        self.token = token_for(app, self.client_id, key, scopes)
        self.browser = api_browser(app)

    def get(self, url, params=None, status=200, headers=None):
        """The JSON answer of ``url`` (asserting its status and type)."""
        sent = {'Authorization': 'Bearer ' + self.token, 'Accept': 'application/fhir+json'}
        sent.update(headers or {})
        res = self.browser.get(url, params or {}, headers=sent, status=status)
        assert res.content_type == 'application/fhir+json', (url, res.content_type)
        assert res.charset.lower() == 'utf-8'
        return res

    def crawl(self, url, params=None):
        """Every page of a search, following ``next`` links: the resources
        in order, and the Bundles."""
        bundles, resources = [], []
        res = self.get(url, params)
        while True:
            bundle = validate(res.json)
            bundles.append(bundle)
            resources += [e['resource'] for e in bundle.get('entry', ())
                          if e['search']['mode'] == 'match']
            nxt = [link['url'] for link in bundle['link'] if link['relation'] == 'next']
            if not nxt:
                return resources, bundles
            assert nxt[0].startswith('http://localhost/fhir/')
            res = self.get(nxt[0][len('http://localhost'):])
