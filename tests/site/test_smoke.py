def test_login_page_renders(app):
    from support import new_browser
    res = new_browser(app).get('/login')
    assert 'Sign in' in res.text


def test_therapist_can_sign_in_and_see_client(app, browser_as, demo):
    browser = browser_as('therapist')
    res = browser.get('/clients/%s/' % demo.mateo)
    assert 'Mateo' in res.text
