"""``GET /fhir/metadata``: the CapabilityStatement, built from the same
tables the views dispatch on (``search_params.SUPPORTED``,
``views.TYPES``), so it says exactly what is implemented and cannot drift
from it.  The SMART extension names the token endpoint from the
configured public address, never the request's ``Host``.
"""
from .identifiers import api_url
from .search_params import RESULT_PARAMS, SUPPORTED
from .smart import token_url

SMART_EXTENSION = 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris'
SERVICE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/restful-security-service'

#: The FHIR search parameter type of each parameter the server reads.
PARAM_TYPES = {
    '_id': 'token', 'identifier': 'token', 'patient': 'reference', 'status': 'token',
    'category': 'token', '_lastUpdated': 'date', 'patient.identifier': 'token',
    'patient:identifier': 'token',
}
DOCS = {
    'patient': 'Patient/<id>; or patient.identifier / patient:identifier=SYSTEM|VALUE '
               '(the clinic\'s own client id)',
    '_lastUpdated': 'prefixes eq, gt, ge, lt, le; at most twice (a range)',
}


def _params(resource_type):
    found = []
    for name in SUPPORTED[resource_type]:
        if name in ('patient.identifier', 'patient:identifier'):
            continue     # chained / modifier forms of ``patient``: documented there
        param = {'name': name, 'type': PARAM_TYPES[name]}
        if name in DOCS:
            param['documentation'] = DOCS[name]
        found.append(param)
    return found


def capability_statement(registry, software_version, date):
    """The server's CapabilityStatement (``date``: an ISO date, when this
    build of the server says so)."""
    resources = []
    for resource_type in sorted(SUPPORTED):
        resources.append({
            'type': resource_type,
            'interaction': [{'code': 'read'}, {'code': 'search-type'}],
            'searchParam': _params(resource_type),
        })
    resources.append({'type': 'Binary', 'interaction': [{'code': 'read'}],
                      'documentation': 'The signed PDF a DocumentReference names; '
                                       'needs DocumentReference read access.'})
    return {
        'resourceType': 'CapabilityStatement',
        'status': 'active',
        'date': date,
        'kind': 'instance',
        'software': {'name': 'minorconsent', 'version': software_version},
        'implementation': {'description': 'Guardian consents and published goals',
                           'url': api_url(registry)},
        'fhirVersion': '4.0.1',
        'format': ['application/fhir+json'],
        'rest': [{
            'mode': 'server',
            'documentation': 'Search result parameters: %s. Unknown parameters are '
                             'ignored and reported unless Prefer: handling=strict.'
                             % ', '.join(RESULT_PARAMS),
            'security': {
                'cors': False,
                'service': [{'coding': [{'system': SERVICE_SYSTEM, 'code': 'SMART-on-FHIR'}]}],
                'description': 'SMART Backend Services: system/<Type>.rs scopes, '
                               'a bearer token from the token endpoint.',
                'extension': [{'url': SMART_EXTENSION, 'extension': [
                    {'url': 'token', 'valueUri': token_url(registry)}]}],
            },
            'resource': resources,
        }],
    }
