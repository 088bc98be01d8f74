"""Which language a page is in: the person's choice, else the browser's."""
from minorconsent.site.i18n import browser_language
from support import ROLE_EMAILS, csrf_of, new_browser, sign_in


def test_browser_language_takes_the_best_weighted_match():
    assert browser_language('') == 'en'
    assert browser_language('es-MX,es;q=0.9,en;q=0.8') == 'es'
    assert browser_language('fr-FR, en;q=0.5, es;q=0.7') == 'es'
    assert browser_language('de, *;q=0.1') == 'en'
    assert browser_language('es;q=abc, en;q=0.2') == 'en'
    assert browser_language('es;q=0') == 'en'
    assert browser_language(',,;;q=,' * 400) == 'en'
    assert browser_language('es-MX') == 'es'
    assert browser_language('en-GB;q=0.4, es-419;q=0.6') == 'es'


def test_a_long_header_is_read_up_to_its_last_comma_before_the_limit():
    assert browser_language('es;q=0.9,' + 'x-private;q=0.1,' * 100) == 'es'


def test_sign_in_page_follows_the_browser(app):
    browser = new_browser(app)
    page = browser.get('/login', headers={'Accept-Language': 'es-US,es;q=0.9'})
    assert '<html lang="es"' in page.text
    assert '<html lang="en"' in browser.get('/login').text


def test_a_saved_preference_wins_over_the_browser(app, demo, clinic):
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    page = mother.get('/family')
    res = mother.post('/language', {'csrf_token': csrf_of(page), 'language': 'es'},
                      status=302)
    assert res.location.endswith('/family')
    page = mother.get('/family', headers={'Accept-Language': 'en'})
    assert '<html lang="es"' in page.text
    with clinic() as c:
        assert c['users'][demo.user_ids['guardian']].language == 'es'
    mother.post('/language', {'csrf_token': csrf_of(page), 'language': 'xx'}, status=400)
    with clinic() as c:
        assert c['users'][demo.user_ids['guardian']].language == 'es'
