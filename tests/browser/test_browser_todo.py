"""The to-do list and the reminders panel in a real Chromium (issue 17
items 2 and 5): in a freshly seeded clinic the therapist lands on the
to-do list, which shows an item of every kind, each leading to its client;
the supervisor sees the same; the admin sees numbers and no name; the
paused family's reminders are resumed and paused again from the client
page, with the keyboard.  Every page a tab loads is checked by axe
(conftest), on a desktop and on a phone.

The clinic is this module's own (``todo_server``): the shared live
server's families are signed and changed by the other browser tests, and
this test is about what the seed shows.
"""
import threading
import uuid
from types import SimpleNamespace

import pytest
import waitress
from playwright.sync_api import expect

import support
from minorconsent import main
from minorconsent.worklist.model import SECTION_IDS

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group('browser')]

PHONE = dict(viewport={'width': 360, 'height': 740}, device_scale_factor=2,
             is_mobile=True, has_touch=True)
NAMES = ('Mateo', 'Lucia', 'Alvarez', 'Rowan', 'Fairhaven', 'Ava', 'Novak', 'Noah',
         'Brennan')


@pytest.fixture(scope='module')
def todo_server():
    app = main({}, **support.app_settings())
    db = app.registry._zodb_databases['']
    demo = support.seed(db, app.registry)
    server = waitress.create_server(app, host='127.0.0.1', port=0, threads=2)
    thread = threading.Thread(target=server.run, name='waitress-todo', daemon=True)
    thread.start()
    try:
        yield SimpleNamespace(url='http://127.0.0.1:%s' % server.effective_port, demo=demo)
    finally:
        server.close()
        thread.join(timeout=5)
        db.close()


def section(page, sid):
    return page.locator('section[aria-labelledby="%s-h"]' % sid)


def submit_by_keyboard(page, field):
    """From a (multi-line) field, Tab to its form's button and press Enter."""
    field.press('Tab')
    assert page.evaluate('document.activeElement.tagName') == 'BUTTON'
    with page.expect_navigation():
        page.keyboard.press('Enter')


@pytest.mark.parametrize('email, options', [
    ('therapist@demo.test', {}), ('supervisor@demo.test', PHONE)],
    ids=['therapist-desktop', 'supervisor-phone'])
def test_the_to_do_list_shows_every_kind_and_leads_to_each_client(
        tabs_on, checks, todo_server, email, options):
    page = tabs_on(todo_server.url, **options)
    checks.sign_in(page, email)
    assert checks.path_of(page) == '/todo'
    expect(page.get_by_role('heading', level=1, name='To-do')).to_be_visible()
    demo = todo_server.demo
    expected = {'unsigned': demo.rowan, 'expiring': demo.lucia, 'teen_review': demo.mateo,
                'supervisor': demo.mateo, 'majority': demo.noah, 'paused': demo.rowan}
    assert set(expected) <= set(SECTION_IDS)
    for sid in SECTION_IDS:
        items = section(page, sid).get_by_role('listitem')
        assert items.count() >= 1, 'nothing under %s' % sid
        if sid in expected:
            link = section(page, sid).locator('a[href$="/clients/%s"]' % expected[sid])
            expect(link.first).to_be_visible()
    expect(section(page, 'paused')).to_contain_text('Custody hearing pending')
    expect(section(page, 'expiring')).to_contain_text('in 20 days')
    checks.check_page(page, 'to-do of ' + email)
    # Each item is a way to its client: the turning-18 one, followed.
    section(page, 'majority').get_by_role('link').first.click()
    assert checks.path_of(page) == '/clients/%s' % demo.noah
    expect(page.get_by_role('heading', level=1)).to_contain_text('Brennan')
    checks.check_page(page, 'client from the to-do list')
    assert not checks.server_errors(page)


def test_the_admin_sees_numbers_and_no_name(tabs_on, checks, todo_server):
    page = tabs_on(todo_server.url)
    checks.sign_in(page, 'admin@demo.test')
    page.goto('/todo')
    rows = page.locator('main table.list tbody tr')
    expect(rows).to_have_count(len(SECTION_IDS))
    numbers = [int(rows.nth(n).locator('td').nth(1).inner_text()) for n in range(rows.count())]
    assert all(n >= 1 for n in numbers), numbers
    main_text = page.locator('main').inner_text()
    assert not any(name in main_text for name in NAMES)
    expect(page.locator('main a[href*="/clients/"]')).to_have_count(0)
    checks.check_page(page, 'admin counts')


def test_the_therapist_resumes_and_pauses_a_familys_reminders_by_keyboard(
        tabs_on, checks, todo_server):
    demo = todo_server.demo
    reason = 'Hearing moved to next month %s' % uuid.uuid4().hex[:6]
    page = tabs_on(todo_server.url)
    checks.sign_in(page, 'therapist@demo.test')
    section(page, 'paused').locator('a[href$="/clients/%s"]' % demo.rowan).click()
    panel = page.locator('#reminders')
    paused = panel.locator('#reminders-paused')
    expect(paused).to_contain_text('Reminders are paused for this family')
    expect(panel.get_by_role('table')).to_contain_text('Stopped: ')
    checks.check_page(page, 'paused panel')
    # Resume, by keyboard: the reason field, then Enter.
    page.get_by_label('Why resume (optional)').focus()
    page.keyboard.type('Parents agreed to mail again')
    with page.expect_navigation():
        page.keyboard.press('Enter')
    expect(panel.locator('#reminders-paused')).to_have_count(0)
    expect(panel.get_by_role('button', name='Send a reminder now').first).to_be_visible()
    checks.check_page(page, 'resumed panel')
    # A pause without a reason: the message is next to the field, nothing changes.
    reason_field = panel.get_by_label('Why pause')
    reason_field.fill('   ')
    submit_by_keyboard(page, reason_field)
    field_id = page.get_by_label('Why pause').get_attribute('id')
    expect(page.locator('#error-%s' % field_id)).to_be_visible()
    expect(page.locator('#reminders-paused')).to_have_count(0)
    checks.check_page(page, 'pause refused')
    page.get_by_label('Why pause').fill(reason)
    submit_by_keyboard(page, page.get_by_label('Why pause'))
    expect(page.locator('#reminders-paused')).to_contain_text(reason)
    history = page.locator('#reminders details')
    history.locator('summary').click()
    expect(history).to_contain_text('Parents agreed to mail again')
    checks.check_page(page, 'paused again')
    page.goto('/todo')
    expect(section(page, 'paused')).to_contain_text(reason)
    assert not checks.server_errors(page)
