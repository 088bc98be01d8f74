"""Every value a Jinja2 template writes inside a tag sits in a double-quoted
attribute that is not an event handler or a style (issue 20; found worth
holding by a review).  Why it matters: the templates' escaping
(``site.jinja.as_chameleon_writes``) escapes & < > " but, as Chameleon,
not the apostrophe, so a value in a single-quoted or unquoted attribute
could end it.  A static check over every template's source."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / 'minorconsent'
EXPR = re.compile(r'\{\{.*?\}\}|\{%.*?%\}', re.S)


def contexts(text):
    found = []
    i, in_tag, quote, attr = 0, False, None, ''
    while i < len(text):
        m = EXPR.match(text, i)
        if m:
            if in_tag:
                found.append((m.group(0), quote, attr))
            i = m.end()
            continue
        c = text[i]
        if not in_tag and c == '<' and re.match(r'<[a-zA-Z/!]', text[i:i + 2]):
            in_tag, quote, attr = True, None, ''
        elif in_tag and quote is None and c in '"\'':
            quote = c
            attr = re.findall(r'([\w:-]+)\s*=\s*$', text[:i])[-1] if re.search(
                r'([\w:-]+)\s*=\s*$', text[:i]) else '?'
        elif in_tag and quote == c:
            quote = None
        elif in_tag and quote is None and c == '>':
            in_tag = False
        i += 1
    return found


def test_the_check_sees_a_single_quoted_attribute():
    assert contexts("<a href='{{ x }}'>{{ y }}</a>") == [('{{ x }}', "'", 'href')]


def test_every_value_in_a_tag_is_in_a_double_quoted_attribute():
    assert len(list(ROOT.rglob('*.jinja2'))) >= 8
    problems = []
    for path in ROOT.rglob('*.jinja2'):
        for expr, quote, attr in contexts(path.read_text()):
            if expr.startswith('{%') and not expr.startswith('{% trans') and \
                    not expr.startswith('{% endtrans'):
                continue          # control flow around attributes
            if quote != '"' or attr.lower().startswith('on') or attr.lower() == 'style':
                problems.append((path.name, expr, quote, attr))
    assert problems == []
