"""Family members: a guardian on a phone and the adolescent."""
import re

import pytest
from playwright.sync_api import expect

# One worker runs them all: they share one live server and one Chromium.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group('browser')]

PHONE = dict(viewport={'width': 360, 'height': 740}, device_scale_factor=2,
             is_mobile=True, has_touch=True)


def _fits_width(page):
    """True when nothing makes the page scroll sideways.  Measured against
    the phone's width, not ``window.innerWidth``: a mobile browser zooms out
    to show an overflowing page, and innerWidth grows with it (the check
    then always passed)."""
    return page.evaluate('document.documentElement.scrollWidth') <= page.viewport_size['width']


def test_guardian_on_a_phone(new_tab, ui):
    page = new_tab(**PHONE)
    ui.sign_in(page, ui.ROLE_EMAILS['guardian'])
    assert ui.path_of(page) == '/family'
    expect(page.get_by_role('heading', level=1)).to_have_text('My family')
    children = page.locator('main ul.cards > li')
    expect(children).to_have_count(2)
    expect(children.get_by_role('link')).to_have_text(['Lucia', 'Mateo'])
    assert ui.MARKER not in page.content()
    assert _fits_width(page), 'the family page scrolls sideways at 360px'
    ui.check_page(page, 'guardian family list (phone)')

    children.get_by_role('link', name='Mateo').click()
    page.wait_for_url(re.compile(r'/clients/%s/family$' % ui.demo.mateo))
    expect(page.get_by_role('heading', level=1)).to_have_text('Mateo')
    expect(page.get_by_role('heading', level=2, name='Goals and progress')
           ).to_be_visible()
    html = page.content()
    assert ui.MARKER not in html, 'private clinic text reached a guardian'
    assert _fits_width(page), 'the child page scrolls sideways at 360px'
    ui.check_page(page, 'guardian child page (phone)')

    ui.ARTIFACTS.mkdir(exist_ok=True)
    shot = ui.ARTIFACTS / 'guardian-child-phone.png'
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 0


def test_adolescent_lands_on_own_page(tab, ui):
    page = tab
    ui.sign_in(page, ui.ROLE_EMAILS['adolescent'])
    assert ui.path_of(page) == '/clients/%s/mine' % ui.demo.mateo, page.url
    expect(page.get_by_role('heading', level=1)).to_have_text('Hi Mateo')
    expect(page.get_by_role('navigation', name='Main').get_by_role(
        'link', name='My page')).to_be_visible()
    # The summary waiting for Mateo's review is his to read (its text, which
    # no guardian may see, carries the marker); nothing else private is.
    review = page.locator('article.summary').filter(has_text='Draft: good progress')
    expect(review).to_have_count(1)
    expect(page.get_by_role('link', name='Read it before your parents do')).to_be_visible()
    outside = page.evaluate("""() => {
        const main = document.querySelector('main').cloneNode(true);
        for (const a of main.querySelectorAll('article.summary')) {
            if (a.textContent.includes('Draft: good progress')) a.remove();
        }
        return main.innerHTML;
    }""")
    assert ui.MARKER not in outside
    ui.check_page(page, 'adolescent page')


def test_guardian_reads_the_chart_and_a_summary_in_spanish_on_a_phone(new_tab, ui):
    """No saved preference: the phone's language (Spanish) decides."""
    page = new_tab(locale='es-US', **PHONE)
    page.goto('/login')
    expect(page.get_by_role('heading', level=1)).to_contain_text('Iniciar sesión en')
    page.get_by_label('Correo electrónico').fill(ui.ROLE_EMAILS['guardian'])
    page.get_by_label('Contraseña').fill(ui.DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role('button', name='Iniciar sesión').click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Mi familia')
    ui.check_page(page, 'family list in Spanish (phone)')
    page.get_by_role('link', name='Mateo').click()
    expect(page.get_by_role('heading', level=2, name='Objetivos y progreso')).to_be_visible()
    chart = page.locator('.goal-trend svg').first
    expect(chart).to_be_visible()
    page.locator('.goal-trend summary').first.click()     # the ratings as a list
    expect(page.locator('.goal-trend details li').first).to_be_visible()
    expect(page.get_by_role('heading', level=3, name='Novedades del terapeuta')).to_be_visible()
    assert 'lang="es"' in page.content()
    assert _fits_width(page), 'the Spanish child page scrolls sideways at 360px'
    assert ui.MARKER not in page.content()
    ui.check_page(page, 'child page in Spanish (phone)')
    page.get_by_role('link', name=re.compile('^Página para imprimir')).first.click()
    expect(page.get_by_role('link', name='Descargar en PDF')).to_be_visible()
    ui.check_page(page, 'printable summary in Spanish (phone)')


def _family_pages(page, ui, start):
    """Every page a family member reaches by links from ``start`` (same
    site, no PDFs, no signing out), breadth first."""
    seen, queue = [], [start]
    while queue and len(seen) < 40:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.append(path)
        page.goto(path)
        for href in page.eval_on_selector_all(
                'main a[href]', 'els => els.map(e => e.getAttribute("href"))'):
            target = re.sub(r'^https?://[^/]+', '', href).split('#')[0]
            if (target.startswith('/') and not target.endswith('.pdf')
                    and 'logout' not in target and target not in seen):
                queue.append(target)
    return seen


@pytest.mark.parametrize('width', [360, 390])
@pytest.mark.parametrize('who', ['guardian', 'adolescent'])
def test_no_family_page_scrolls_sideways_on_a_phone(new_tab, ui, who, width):
    """Parents read on their phones: every page a family member can reach
    fits the screen (a long unbroken line, such as a text's SHA-256
    fingerprint, once made every agreement page 517 px wide)."""
    page = new_tab(**dict(PHONE, viewport={'width': width, 'height': 800}))
    ui.sign_in(page, ui.ROLE_EMAILS[who])
    pages = _family_pages(page, ui, ui.path_of(page))
    assert any('/agreements/' in p for p in pages), pages
    wide = []
    for path in pages:
        page.goto(path)
        if not _fits_width(page):
            wide.append((path, page.evaluate('document.documentElement.scrollWidth')))
    assert not wide, 'pages wider than %d px: %s' % (width, wide)
