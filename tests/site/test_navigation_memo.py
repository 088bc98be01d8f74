"""The menu and the static address are remembered per role set and address
(issue 20, item 3): still each person's own menu, and a role change shows
at once."""
from pyramid.request import Request

from minorconsent.site import views
from support import ROLE_EMAILS, sign_in


def menu(page):
    return [a.text for a in page.html.select('nav[aria-label] a')]


def test_each_role_set_gets_its_own_menu_and_a_new_role_shows_at_once(app, clinic):
    app.registry.__dict__.pop('_mc_menus', None)
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    assert menu(therapist.get('/clients/'))[:2] == ['To-do', 'Clients']
    assert menu(mother.get('/family'))[0] == 'My family'
    assert 'Supervision' not in menu(therapist.get('/clients/'))
    with clinic() as c:
        user = c['users'].find_by_email(ROLE_EMAILS['therapist'])
        user.roles = tuple(user.roles) + ('supervisor',)
    assert 'Supervision' in menu(therapist.get('/clients/'))
    assert len(app.registry.__dict__['_mc_menus']) == 3


def test_the_teens_own_page_is_in_their_menu_only(app):
    teen = sign_in(app, ROLE_EMAILS['adolescent'])
    page = teen.get('/').follow()
    mine = [a['href'] for a in page.html.select('nav[aria-label] a') if a.text == 'My page']
    assert len(mine) == 1 and mine[0].endswith('/mine')
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    assert 'My page' not in menu(mother.get('/family'))


def test_the_static_address_is_remembered_per_application_address(app):
    app.registry.__dict__.pop('_mc_static_bases', None)
    first = Request.blank('/', base_url='http://localhost')
    second = Request.blank('/', base_url='http://localhost/prefix')
    for request in (first, second):
        request.registry = app.registry
    assert views.static_base(first) == 'http://localhost/static/'
    assert views.static_base(second) == 'http://localhost/prefix/static/'
    assert views.static_base(first) == 'http://localhost/static/'
