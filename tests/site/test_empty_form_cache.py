"""The sign-in form is rendered once per language (issue 20, item 3): the
same page as building it every time, with each request's own token."""
import re

from minorconsent.accounts.views import Login
from support import ROLE_EMAILS, new_browser, sign_in


def token_of(page):
    return page.html.select_one('input[name=csrf_token]')['value']


def test_a_cached_sign_in_form_is_the_form_built_afresh(app, monkeypatch):
    app.registry.__dict__.pop('_mc_empty_forms', None)
    built = []
    original = Login.make_form
    monkeypatch.setattr(Login, 'make_form', lambda self: built.append(1) or original(self))
    first, second = new_browser(app).get('/login'), new_browser(app).get('/login')
    assert len(built) == 1                        # the second came from the cache
    assert token_of(first) != token_of(second)    # each browser's own token
    assert first.text.replace(token_of(first), 'T') == second.text.replace(token_of(second), 'T')
    monkeypatch.setattr(Login, 'empty_form_cached', False)
    third = new_browser(app).get('/login')
    assert len(built) == 2
    assert third.text.replace(token_of(third), 'T') == first.text.replace(token_of(first), 'T')


def test_the_cached_form_signs_in_and_refuses_a_wrong_token(app):
    app.registry.__dict__.pop('_mc_empty_forms', None)
    new_browser(app).get('/login')                # fills the cache
    assert sign_in(app, ROLE_EMAILS['therapist']).get('/clients/').status_int == 200
    browser = new_browser(app)
    form = browser.get('/login').forms['form']
    form['email'], form['password'] = ROLE_EMAILS['therapist'], 'wrong'
    form['csrf_token'] = 'f' * 40
    assert form.submit(status=400).status_int == 400


def test_each_language_has_its_own_cached_form(app):
    app.registry.__dict__.pop('_mc_empty_forms', None)
    english = new_browser(app).get('/login')
    spanish_browser = new_browser(app)
    spanish = spanish_browser.get('/login', headers={'Accept-Language': 'es'})
    again = new_browser(app).get('/login', headers={'Accept-Language': 'es'})
    assert 'Email address' in english.text and 'Email address' not in spanish.text
    assert re.search(r'Correo', spanish.text) and re.search(r'Correo', again.text)
    assert {key[1] for key in app.registry.__dict__['_mc_empty_forms']} == {'en', 'es'}
