"""A goal's staff page and the correction of an entry, the publish warning
and the guardian's progress chart on a phone (issue 16, item 6).  Every
page a tab loads is checked by axe (conftest)."""
import uuid
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

# One worker runs them all: they share one live server and one Chromium.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group('browser')]

PHONE = dict(viewport={'width': 360, 'height': 740}, device_scale_factor=2,
             is_mobile=True, has_touch=True)


def test_a_therapist_records_and_corrects_an_entry_on_the_goal_page(new_tab, ui):
    reason = 'Wrong day %s' % uuid.uuid4().hex[:8]
    goal = '/clients/%s/goals/%s/' % (ui.demo.mateo, ui.demo.mateo_goal)
    day = date.today() - timedelta(days=2)
    page = new_tab()
    ui.sign_in(page, ui.ROLE_EMAILS['therapist'])
    page.goto(ui.url + goal + 'progress')
    page.get_by_label('Date').fill(day.isoformat())
    page.get_by_label('How is it going?').select_option('worsening')
    page.get_by_role('button', name='Save progress').click()
    assert ui.path_of(page) == goal
    expect(page.get_by_role('heading', level=2, name='Progress entries')).to_be_visible()
    newest = page.locator('table.progress-entries tbody tr').first
    expect(newest).to_contain_text('Harder lately')
    newest.get_by_role('link', name='Correct').click()
    page.get_by_label('How is it going?').select_option('no-change')
    page.get_by_label('Why is it corrected?').fill('   ')
    page.get_by_role('button', name='Save correction').click()
    # Without a reason: the message is next to its field, nothing saved.
    expect(page.locator('.invalid-feedback')).to_have_count(1)
    reason_id = page.get_by_label('Why is it corrected?').get_attribute('id')
    expect(page.locator('#error-%s' % reason_id)).to_have_text('Required')
    ui.check_page(page, 'correction refused')
    page.get_by_label('Why is it corrected?').fill(reason)
    page.get_by_role('button', name='Save correction').click()
    assert ui.path_of(page) == goal
    newest = page.locator('table.progress-entries tbody tr').first
    expect(newest).to_contain_text('No change')
    expect(newest).to_contain_text('Recorded first as: %s, Harder lately' % day.isoformat())
    expect(newest).to_contain_text(reason)
    assert not ui.server_errors(page)


def test_the_publish_warning_and_the_preview_when_no_guardian_can_read(new_tab, ui):
    words = 'Ava check %s.' % uuid.uuid4().hex[:8]
    page = new_tab()
    ui.sign_in(page, ui.ROLE_EMAILS['therapist_other'])
    page.goto(ui.url + '/clients/%s/add-summary' % ui.demo.ava)
    page.get_by_label('Period').fill('Check')
    page.get_by_label('What guardians will read').fill(words)
    page.get_by_role('button', name='Write draft').click()
    expect(page.locator('#nobody-reads')).to_contain_text(
        'Before you publish: no guardian can see this summary yet.')
    page.get_by_role('link', name='Preview as a guardian will see it').click()
    expect(page.locator('#preview-nobody')).to_contain_text('No consent to treatment is active')
    expect(page.locator('main')).to_contain_text(words)
    expect(page.locator('main')).not_to_contain_text('Nothing has been shared with you yet')


def test_the_guardians_chart_fits_a_phone_and_names_its_points(new_tab, ui):
    page = new_tab(**PHONE)
    ui.sign_in(page, ui.ROLE_EMAILS['guardian'])
    page.goto(ui.url + '/clients/%s/family' % ui.demo.mateo)
    chart = page.locator('section.goal-trend svg').first
    expect(chart).to_be_visible()
    assert page.evaluate('document.documentElement.scrollWidth') <= 360
    box = chart.bounding_box()
    assert box['x'] >= 0 and box['x'] + box['width'] <= 360
    # Every point is drawn inside the picture, and is named in the list.
    circles = chart.locator('circle')
    assert circles.count() > 3
    for n in range(circles.count()):
        dot = circles.nth(n).bounding_box()
        assert box['x'] <= dot['x'] and dot['x'] + dot['width'] <= box['x'] + box['width']
    card = page.locator('section.goal-trend').first
    card.get_by_text('The ratings as a list').click()
    expect(card.locator('details li')).to_have_count(circles.count())
    ui.check_page(page, 'chart list open')
