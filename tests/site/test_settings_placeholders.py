"""The clinic's name and contacts start as the demo clinic's: the admin is
told until they are the clinic's own (found by the first-week browser test:
a clinic made with minorconsent-init showed families the demo phone)."""
from support import ROLE_EMAILS, sign_in


def test_the_settings_page_warns_while_the_demo_contacts_are_left(app, clinic):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    with clinic() as c:
        c.settings.contact_phone = '555-0100'          # the demo clinic's
    page = admin.get('/settings')
    assert 'phone number' in page.html.select_one('#placeholders').text
    form = page.forms['form']
    form['contact_phone'], form['contact_email'], form['name'] = (
        '555-0142', 'hello@clinic.demo.test', 'Harbor Youth Counseling')
    form.submit(status=302)
    assert admin.get('/settings').html.select_one('#placeholders') is None
