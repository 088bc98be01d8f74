"""The workflow diagram fits every label (issue 16, item 6: it clipped and
overlapped labels on the admin page).

Each text is measured with the real advance widths of DejaVu Sans (the
font file the agreements' PDFs ship, and Debian's ``sans-serif``), not
with the diagram's own estimate: every line must lie inside its box, and
no two boxes (states, and the steps' labels) may overlap, for every
shipped definition and for one with very long titles.
"""
import xml.etree.ElementTree as ET
from importlib.resources import files
from itertools import combinations

import pytest
import tomli_w
from fontTools.ttLib import TTFont

from minorconsent.workflow.definition import loads
from minorconsent.workflow.diagram import render_svg, text_width, wrap

SVG = '{http://www.w3.org/2000/svg}'
FONT = TTFont(str(files('minorconsent') / 'agreements' / 'fonts' / 'DejaVuSans.ttf'))
CMAP, HMTX = FONT.getBestCmap(), FONT['hmtx']
EM = FONT['head'].unitsPerEm
ASCENT, DESCENT = FONT['hhea'].ascent / EM, -FONT['hhea'].descent / EM

SHIPPED = sorted(p.name for p in (files('minorconsent') / 'workflows').iterdir()
                 if p.name.endswith('.toml'))

#: A definition whose every title is long (and one word longer than a box).
LONG_STATES = {
    'draft': 'Draft that the therapist is still writing and has not shown anyone',
    'review': "Waiting for the adolescent client's own review before the guardians see it",
    'published': 'Published to every guardian with legal authority',
    'withdrawn': 'Withdrawn',
    'x': 'Supercalifragilisticexpialidocious-and-then-some-more-without-any-spaces',
}
LONG_STEPS = (
    ('ask', 'Ask the adolescent client to review the summary before it is published',
     ['draft'], 'review'),
    ('publish', 'Publish to guardians now, without waiting for anything else at all',
     ['draft', 'review'], 'published'),
    ('back', 'Back to the draft, so that the therapist can change what it says',
     ['review', 'published', 'withdrawn'], 'draft'),
    ('withdraw', 'Withdraw it from the family portal and tell nobody',
     ['published', 'review'], 'withdrawn'),
    ('odd', 'Move to the state with the one enormous unbroken word in its title',
     ['withdrawn'], 'x'),
)
LONG = tomli_w.dumps({
    'id': 'long-titles', 'title': 'A workflow with very long titles',
    'content_type': 'summary', 'initial_state': 'draft',
    'states': {sid: {'title': title} for sid, title in LONG_STATES.items()},
    'transitions': [{'id': tid, 'title': title, 'from': sources, 'to': target,
                     'roles': ['therapist']} for tid, title, sources, target in LONG_STEPS]})


def real_width(text, size):
    return sum(HMTX[CMAP[ord(c)]][0] for c in text) / EM * size


def boxes_and_texts(svg):
    """``[(box, [text extents])]`` of every state and every step label."""
    root = ET.fromstring(svg)
    found = []
    for group in root.iter(SVG + 'g'):
        if group.get('class') not in ('state', 'label'):
            continue
        rect = group.find(SVG + 'rect')
        box = tuple(float(rect.get(k)) for k in ('x', 'y', 'width', 'height'))
        texts = []
        for text in group.findall(SVG + 'text'):
            size = float(text.get('font-size'))
            width = real_width(text.text or '', size)
            x, y = float(text.get('x')), float(text.get('y'))
            assert text.get('text-anchor') == 'middle'
            texts.append((x - width / 2, y - ASCENT * size, width,
                          (ASCENT + DESCENT) * size, text.text))
        assert texts
        found.append((box, texts))
    return root, found


def inside(inner, outer):
    x, y, w, h = inner[:4]
    ox, oy, ow, oh = outer
    return ox <= x and x + w <= ox + ow and oy <= y and y + h <= oy + oh


def overlap(a, b):
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] \
        and b[1] < a[1] + a[3]


def check(workflow):
    root, found = boxes_and_texts(render_svg(workflow))
    width, height = float(root.get('width')), float(root.get('height'))
    for box, texts in found:
        assert inside(box, (0, 0, width, height)), box
        for text in texts:
            assert inside(text, box), (text[-1], text[:4], box)
    for (a, ta), (b, tb) in combinations(found, 2):
        assert not overlap(a, b), (ta[0][-1], tb[0][-1])
    # Every title is drawn whole (wrapped lines, read together).
    shown = {''.join(''.join(t[-1] for t in texts).split()) for _, texts in found}
    for title in [s.title for s in workflow.states] + [t.title for t in workflow.transitions]:
        assert ''.join(title.split()) in shown, title
    return found


@pytest.mark.parametrize('name', SHIPPED)
def test_every_label_of_a_shipped_workflow_fits_and_none_overlap(name):
    assert len(SHIPPED) >= 5
    source = (files('minorconsent') / 'workflows' / name).read_text('utf-8')
    check(loads(source, version=1))


def test_very_long_titles_wrap_inside_their_boxes_and_none_overlap():
    found = check(loads(LONG, version=1))
    assert any(len(texts) > 2 for _, texts in found)      # wrapped, not clipped


def test_titles_in_other_languages_are_measured_too():
    source = LONG.replace('Withdrawn', 'Retirado por la terapeuta: ¿qué ocurrió? ÁÉÍÓÚ ñ')
    check(loads(source, version=1))


def test_the_estimate_is_never_narrower_than_the_font():
    for text in ('Awaiting supervisor sign-off', 'WWWWWWWWMMMM', 'iiiiilllll',
                 'Publish (the client agreed)', 'Señora Muñoz ¿Ñandú?'):
        assert text_width(text, 14) >= real_width(text, 14)


def test_wrapping_breaks_between_words_and_inside_only_an_overlong_one():
    assert wrap('Send for signature', 11, 1000) == ['Send for signature']
    lines = wrap('Send for signature', 11, text_width('signature', 11) + 1)
    assert lines == ['Send for', 'signature']
    lines = wrap('x' * 80, 11, 100)
    assert len(lines) > 1 and ''.join(lines) == 'x' * 80
    assert all(text_width(line, 11) <= 100 for line in lines)
