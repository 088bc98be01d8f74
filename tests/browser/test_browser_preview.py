"""A therapist's "Preview as guardian" is the guardian's page as it will be."""
import re
import uuid

import pytest
from playwright.sync_api import expect

# One worker runs them all: they share one live server and one Chromium.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group('browser')]

PHONE = dict(viewport={'width': 360, 'height': 740}, device_scale_factor=2,
             is_mobile=True, has_touch=True)


def _main_html(page):
    """The <main> element as rendered, the publish date normalised (the
    preview dates it today; publishing, a moment later)."""
    html = page.locator('main').evaluate('element => element.outerHTML')
    return re.sub(r' · shared [0-9]{4}-[0-9]{2}-[0-9]{2}', ' · shared DATE', html)


def test_a_therapists_preview_matches_the_published_page(new_tab, ui):
    words = 'Preview check %s: Mateo plans his mornings.' % uuid.uuid4().hex[:8]
    mateo = '/clients/%s/' % ui.demo.mateo

    therapist = new_tab()
    ui.sign_in(therapist, ui.ROLE_EMAILS['therapist'])
    therapist.goto(mateo + 'add-summary')
    therapist.get_by_label('Period').fill('Preview month')
    therapist.get_by_label('What guardians will read').fill(words)
    therapist.get_by_role('button', name='Write draft').click()
    expect(therapist.locator('h1 .badge')).to_have_text('Draft')
    summary_url = therapist.url

    therapist.get_by_role('link', name='Preview as a guardian will see it').click()
    expect(therapist.get_by_role('complementary', name='Preview')).to_contain_text(
        'Preview: this is what guardians will see once it is published.')
    expect(therapist.get_by_role('complementary', name='Preview')).to_contain_text(
        'Elena Alvarez')
    expect(therapist.get_by_role('heading', level=1)).to_have_text('Mateo')
    expect(therapist.locator('main').get_by_text(words)).to_be_visible()
    ui.check_page(therapist, 'preview as guardian')
    preview = _main_html(therapist)
    assert 'Preview:' not in preview          # the banner is outside the page itself
    assert ui.MARKER not in therapist.content()

    guardian = new_tab(**PHONE)
    ui.sign_in(guardian, ui.ROLE_EMAILS['guardian'])
    guardian.goto(mateo + 'family')
    expect(guardian.get_by_text(words)).to_have_count(0)      # a draft: not yet

    therapist.goto(summary_url)
    therapist.get_by_role('button', name='Publish to guardians').click()
    expect(therapist.locator('h1 .badge')).to_have_text('Published')

    guardian.goto(mateo + 'family')
    expect(guardian.locator('main').get_by_text(words)).to_be_visible()
    ui.check_page(guardian, 'guardian child page after publishing (phone)')
    assert _main_html(guardian) == preview
