"""``request.clinic_url`` builds URLs faster than ``route_url`` (a list page
builds one per row) and must answer exactly as ``route_url`` would, under a
host app's route prefix too, for any names a resource may have."""
from hypothesis import given, settings, strategies as st
from pyramid.config import Configurator
from pyramid.request import Request

from minorconsent.site import ROUTE, clinic_url

NAMES = st.text(min_size=1, max_size=12).filter(lambda s: s not in ('.', '..'))


class Node:
    def __init__(self, name, parent):
        self.__name__, self.__parent__ = name, parent


def _request(prefix):
    config = Configurator()
    config.add_route(ROUTE, prefix + '/*traverse')
    config.commit()
    request = Request.blank('/', base_url='http://clinic.example:8080/app')
    request.registry = config.registry
    return request


def _resource(path):
    node = Node('', None)
    for name in path:
        node = Node(name, node)
    return node


def _expected(request, path, elements):
    if not elements:
        elements = ('',) if path else ()
    return request.route_url(ROUTE, *elements, traverse=tuple(path))


@settings(max_examples=300, deadline=None)
@given(prefix=st.sampled_from(['', '/portal', '/a b']),
       path=st.lists(NAMES, max_size=4),
       elements=st.lists(NAMES, max_size=3))
def test_same_answer_as_route_url(prefix, path, elements):
    request = _request(prefix)
    resource = _resource(path)
    # Twice: the second call uses the base remembered on the request.
    for _ in range(2):
        assert clinic_url(request, resource, *elements) == \
            _expected(request, path, tuple(elements))


def test_query_and_anchor_still_work():
    request = _request('')
    resource = _resource(['clients', 'c1'])
    assert clinic_url(request, resource, 'family', query={'page': 2}, anchor='top') == \
        'http://clinic.example:8080/app/clients/c1/family?page=2#top'
