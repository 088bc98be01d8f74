"""The guardian's list of children says where their signature is wanted."""
from support import ROLE_EMAILS, sign_in

WAITING = 'Waiting for your signature'


def test_the_family_list_says_which_child_waits_for_my_signature(app):
    # Joint custody: the consent waits for the second parent only.
    waiting = sign_in(app, 'coparent2@demo.test').get('/family')
    signed = sign_in(app, 'coparent1@demo.test').get('/family')
    assert waiting.html.select('ul.cards > li')
    assert all(WAITING in li.text for li in waiting.html.select('ul.cards > li'))
    assert WAITING not in signed.text


def test_the_badge_is_where_the_child_page_asks_for_a_signature(app):
    """Beside a child exactly when that child's page asks for one."""
    for email in ('coparent1@demo.test', 'coparent2@demo.test', ROLE_EMAILS['guardian'],
                  ROLE_EMAILS['guardian_other']):
        browser = sign_in(app, email)
        for li in browser.get('/family').html.select('ul.cards > li'):
            child = browser.get(li.a['href'])
            assert (WAITING in li.text) == (WAITING in child.text), (email, li.a.text)


def test_spanish_family_list_says_it_in_spanish(app, clinic, demo):
    with clinic() as c:
        c['users'].find_by_email('coparent2@demo.test').language = 'es'
    page = sign_in(app, 'coparent2@demo.test').get('/family')
    assert WAITING not in page.text and 'Esperando su firma' in page.text


def test_the_teens_page_has_the_clinic_and_the_crisis_line(app, clinic, demo):
    """The guardian's page always showed how to reach help; the teen's,
    the page of the person most likely to need it, did not."""
    with clinic() as c:
        c.settings.crisis_line = 'Call 988 or text HOME to 741741'
        c.settings.contact_phone = '555-0100'
    page = sign_in(app, ROLE_EMAILS['adolescent']).get('/clients/%s/mine' % demo.mateo)
    contact = page.html.select_one('section.clinic-contact')
    assert contact is not None
    assert 'Call 988 or text HOME to 741741' in contact.text
    assert '555-0100' in contact.text
