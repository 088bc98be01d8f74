"""The Jinja2 pages (issue 20, item 3): translated when compiled, escaped
as the Chameleon pages escape, and one layout for both engines."""
import re

import pytest
from markupsafe import Markup

from minorconsent.site.chrome import SLOT, Chrome
from minorconsent.site.jinja import (as_chameleon_writes, catalog_id, environments,
                                     template_msgids)
from support import ROLE_EMAILS, csrf_of, sign_in

LAYOUT = 'minorconsent.site:templates/layout.jinja2'


def outside_main(html):
    """A page without its <main> element: the layout's header and footer."""
    return re.sub(r'<main .*</main>', '', html, flags=re.S)


def test_a_trans_block_has_the_catalog_id_chameleon_extracts():
    assert catalog_id('Signed in as %(name)s. On a shared computer') == \
        'Signed in as ${name}. On a shared computer'
    assert catalog_id('100%% sure') == '100% sure'
    assert template_msgids('{% trans date=d %}In force\n   until {{ date }}.{% endtrans %}'
                           '<p>{% trans %}Documents{% endtrans %}</p>') == \
        ['In force until ${date}.', 'Documents']


def test_each_language_compiles_its_own_words_into_the_template(app):
    """The Spanish template's code holds the Spanish words as constants:
    nothing is translated while a page renders."""
    source = '<a>{% trans %}Skip to main content{% endtrans %}</a>'
    spanish = environments(app.registry)['es']
    code = spanish.compile(source, raw=True)
    assert 'Saltar al contenido principal' in code
    assert 'gettext' not in code
    assert environments(app.registry)['en'].from_string(source).render() == \
        '<a>Skip to main content</a>'
    # An unknown language gets the default, never an error.
    assert environments(app.registry)['xx'] is environments(app.registry)['en']


def test_values_are_escaped_as_the_chameleon_pages_escape_them():
    assert as_chameleon_writes(None) == ''
    assert as_chameleon_writes("O'Neil <b>&\"") == 'O\'Neil &lt;b&gt;&amp;&#34;'
    assert as_chameleon_writes(Markup('<svg/>')) == '<svg/>'
    assert as_chameleon_writes(3) == '3'


def test_a_value_inside_a_translated_sentence_is_escaped_too(app):
    template = environments(app.registry)['en'].from_string(
        '{% trans name=who %}Signed in as {{ name }}.{% endtrans %}')
    assert template.render(who='<script>x</script>') == \
        'Signed in as &lt;script&gt;x&lt;/script&gt;.'
    assert template.render(who="Siobhán O'Neil") == "Signed in as Siobhán O'Neil."
    wrapped = environments(app.registry)['en'].from_string(
        '{% trans name=who|in_tag("strong") %}Hi {{ name }}{% endtrans %} {{ who }}')
    assert wrapped.render(who='<i>') == 'Hi <strong>&lt;i&gt;</strong> &lt;i&gt;'


def test_a_name_that_looks_like_a_marker_cannot_move_a_slot(app):
    values = {'lang': 'en', 'portal_name': '\x00 %s' % SLOT[1:-1], 'clinic_url': '/',
              'static_url': '/static/', 'signed_in': True, 'signed_in_name': 'A\x00B',
              'nav': [], 'csrf_token': 'c', 'message': '', 'languages': (('en', 'English'),),
              't': str}
    chrome = Chrome(app.registry, values)
    assert '<title>' in chrome[0] and chrome[1].startswith(' · ')
    assert '<main' in chrome[2] and '</main>' in chrome[3]


def test_both_engines_write_the_same_layout(app, demo):
    """A Chameleon page (a goal's progress form) and a Jinja page (the
    caseload list) for the same person: the same header and footer."""
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    jinja_page = therapist.get('/clients/')
    chameleon_page = therapist.get('/clients/%s/' % demo.mateo)
    assert 'site-header' in jinja_page.text and 'site-footer' in chameleon_page.text
    strip = lambda page: re.sub(r'<title>.*</title>', '', outside_main(page.text)).strip()
    assert strip(jinja_page) == strip(chameleon_page)


@pytest.mark.parametrize('language, words', [('en', 'Who at the clinic has read'),
                                             ('es', 'Quién de la clínica leyó')])
def test_the_family_page_is_in_the_readers_language(app, demo, language, words):
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    page = mother.get('/family')
    mother.post('/language', {'language': language, 'csrf_token': csrf_of(page)})
    child = mother.get('/clients/%s/family' % demo.mateo)
    assert words in child.text
    assert '<html lang="%s">' % language in child.text
