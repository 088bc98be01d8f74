"""A therapist finds a client, reads the record and adds a goal."""
import re
import uuid

import pytest
from playwright.sync_api import expect

# One worker runs them all: they share one live server and one Chromium.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group('browser')]

CLIENT_SECTIONS = ('Before contacting the client', 'Guardians',
                   'Treatment goals', 'Private session notes')
CLIENT_LINKS = ('Add a goal', 'Add a note', 'Link a guardian', 'Edit record')


def _section(page, heading):
    return page.locator('section').filter(
        has=page.get_by_role('heading', level=2, name=heading, exact=True))


def test_search_open_record_and_add_goal(tab, ui):
    page = tab
    demo = ui.demo
    ui.sign_in(page, ui.ROLE_EMAILS['therapist'])
    page.goto('/clients/')                     # the landing page is the to-do list
    list_path = ui.path_of(page)

    # Name search is a POST: the name never reaches the URL or history.
    search = page.get_by_role('search')
    search.get_by_label('Search by name').fill('Mateo')
    with page.expect_navigation() as navigation:
        search.get_by_role('button', name='Search').click()
    request = navigation.value.request
    assert request.method == 'POST'
    assert 'mateo' not in page.url.lower()
    assert ui.path_of(page) == list_path
    expect(page.get_by_label('Search by name')).to_have_value('Mateo')
    expect(page.get_by_role('link', name='Alvarez, Mateo')).to_be_visible()
    expect(page.get_by_role('link', name='Alvarez, Lucia')).to_have_count(0)
    ui.check_page(page, 'client list, search results')

    # The client record.
    page.get_by_role('link', name='Alvarez, Mateo').click()
    page.wait_for_url(re.compile(r'/clients/%s/$' % demo.mateo))
    expect(page.get_by_role('heading', level=1)).to_contain_text('Mateo Alvarez')
    for heading in CLIENT_SECTIONS:
        expect(page.get_by_role('heading', level=2, name=heading, exact=True)
               ).to_be_visible()
    for name in CLIENT_LINKS:
        expect(page.get_by_role('link', name=name, exact=True)).to_be_visible()
    title = page.title()
    assert 'mateo' not in title.lower() and 'alvarez' not in title.lower(), \
        'the page title names the child: %r' % title
    ui.check_page(page, 'client record')
    record_url = page.url

    # Add a goal through the form.
    goals = _section(page, 'Treatment goals').locator('li.card')
    goals_before = goals.count()
    page.get_by_role('link', name='Add a goal', exact=True).click()
    page.wait_for_url(re.compile(r'/clients/%s/add-goal$' % demo.mateo))
    expect(page.get_by_role('heading', level=1)).to_have_text('New treatment goal')
    ui.check_page(page, 'add-goal form')

    title = 'Sleep through the night %s' % uuid.uuid4().hex[:8]
    form = page.locator('form#form')
    form.locator('[name="parent_title"]').fill(title)
    form.locator('[name="parent_description"]').fill('A calm bedtime routine.')
    form.locator('[name="clinical_text"]').fill('Sleep-onset insomnia; CBT-I elements.')
    form.locator('[name="status"]').select_option('planned')
    with page.expect_navigation():
        form.get_by_role('button', name='Add goal').click()
    assert page.url == record_url
    expect(page.get_by_role('status')).to_have_text('The goal is added.')
    expect(goals).to_have_count(goals_before + 1)
    new_goal = goals.filter(has_text=title)
    expect(new_goal).to_have_count(1)
    expect(new_goal).to_contain_text('Planned')
    expect(new_goal).to_contain_text('A calm bedtime routine.')
    expect(new_goal).to_contain_text('Sleep-onset insomnia; CBT-I elements.')
    ui.check_page(page, 'client record after adding a goal')


def test_add_goal_with_empty_title_shows_error_next_to_field(tab, ui):
    page = tab
    demo = ui.demo
    ui.sign_in(page, ui.ROLE_EMAILS['therapist'])
    page.goto('/clients/%s/add-goal' % demo.mateo)
    form = page.locator('form#form')
    clinical = 'Unsaved clinical words %s' % uuid.uuid4().hex[:8]
    form.locator('[name="clinical_text"]').fill(clinical)

    # The browser's own check stops an empty required title first ...
    title_input = form.locator('[name="parent_title"]')
    form.get_by_role('button', name='Add goal').click()
    assert title_input.evaluate('el => el.validity.valueMissing')
    assert page.url.endswith('/add-goal')

    # ... and the server checks it too, for a browser that does not.
    form.evaluate('f => { f.noValidate = true; }')
    with page.expect_response(lambda r: r.request.method == 'POST') as answer:
        form.get_by_role('button', name='Add goal').click()
    page.wait_for_load_state()
    status = answer.value.status
    assert status < 500, 'server error %s on an invalid goal' % status
    assert status == 400, status
    assert page.url.endswith('/add-goal')

    title_item = page.locator('form#form .item-parent_title')
    error = title_item.locator('[id^="error-"]')
    expect(error).to_be_visible()
    expect(error).to_have_text('Required')
    expect(page.locator('form#form .item-clinical_text [id^="error-"]')).to_have_count(0)
    # What was typed is kept.
    expect(page.locator('form#form [name="clinical_text"]')).to_have_value(clinical)
    ui.check_page(page, 'add-goal form with errors')

    # Nothing was saved.
    page.goto('/clients/%s/' % demo.mateo)
    expect(page.get_by_role('heading', level=1)).to_contain_text('Mateo')
    assert clinical not in page.content()
