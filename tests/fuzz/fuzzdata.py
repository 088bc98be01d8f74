"""Hypothesis strategies for bad input: odd text, wrong types, impossible
dates, and mutations of a discovered form's submission.

A mutation starts from what a browser would send for the untouched form
(``FormSpec.baseline``) and applies one to four edits, so most examples
stay close enough to valid to get past the first check and reach the
code behind it.
"""
import os

from hypothesis import HealthCheck, Phase, settings, strategies as st
from webtest.forms import Upload

#: Examples per form (per role and per URL family for the URL fuzz).  The
#: default keeps ``tests/fuzz`` under three minutes on two cores;
#: ``MINORCONSENT_FUZZ_EXAMPLES=500`` for a long local run.
EXAMPLES = int(os.environ.get('MINORCONSENT_FUZZ_EXAMPLES', '12'))


def fuzz_settings(examples=None, shrink=True):
    """Reproducible in CI: derandomized, no example database."""
    phases = tuple(Phase) if shrink else (Phase.explicit, Phase.reuse, Phase.generate)
    return settings(max_examples=examples or EXAMPLES, derandomize=True, database=None,
                    deadline=None, print_blob=True, phases=phases,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture,
                                           HealthCheck.filter_too_much])


ODD = [
    '', ' ', '\t', '\r\n', '\n\n\n', '\x00', 'a\x00b', '\u202e', '\u200f', '\u200b', '\ufeff',
    '\u202egnp.exe', 'ǅ', '\u0301', '\U0001d518\U0001d52b', '\U0001F9D2', '٣', '１２',
    '\u00a0', '\u2028', '\uffff', '\U0010ffff', '<script>alert(1)</script>', '"\'><',
    "' OR 1=1 --", '${7*7}', '%s%n', '{0}', '../../etc/passwd', '..', '.', '/', '\\',
    'NaN', 'inf', '-inf', '1e309', '-0', '0x10', '9' * 400, '-1', '2147483648',
    'None', 'null', 'true', '[]', '{}', '=SUM(A1)', 'mailto:x', 'a@b', '@', 'a' * 255 + '@x.test',
    'x = ' + '[' * 5000, '{' * 3000, '(' * 3000, '%(x)s', '\\N{BOGUS}', '\udcff'.encode(
        'utf-8', 'surrogatepass').decode('latin-1'), 'US-CA = 12\n' * 400, 'XX-YY = 999',
    'US-CA = -1', 'US-CA = 1e9', 'US-CA = ', '= 12', 'US-CA = 12 = 13',
]

#: Values for date fields that are not dates, or not possible ones.
IMPOSSIBLE_DATES = [
    '2026-02-30', '2025-02-29', '2026-13-01', '2026-00-10', '2026-04-31', '0000-01-01',
    '0001-01-01', '9999-12-31', '99999-01-01', '-0001-01-01', '2026-1-1', '20260101',
    '2026/01/01', '01/02/2026', '2026-01-01T00:00', '2026-01-01 ', ' 2026-01-01', '2026-W01',
    '1900-01-01', '2999-01-01', '1e4-01-01', '٢٠٢٦-٠١-٠١', '２０２６-０１-０１', 'today', '',
]

NOT_NUMBERS = ['abc', '', ' ', '1.5', '1,5', '1e3', '-1', '0', '99999999999999999999', '٣',
               '１', '+7', '7 ', 'NaN', '\x00', '1\x00']

_unicode = st.text(st.characters(blacklist_categories=('Cs',)), max_size=40)


def _huge(char, size):
    return char * size


#: Any odd text: random unicode (no lone surrogates: they cannot be sent
#: as UTF-8), the classics above, or a huge string (up to 100 KB).
evil_text = st.one_of(
    _unicode,
    st.sampled_from(ODD),
    st.builds(_huge, st.sampled_from(['x', 'é', '\u202e', '<', '\x00', '💥']),
              st.sampled_from([1_000, 10_000, 25_000, 100_000])),
)

evil_name = st.one_of(st.sampled_from(['__start__', '__end__', '__formid__', '_charset_',
                                       'csrf_token', 'id', 'step', 'op', 'page', 'q',
                                       'checkbox', 'x' * 5000, '', 'deformField1',
                                       'upload', 'language', 'action']),
                      _unicode.filter(bool))

MARKER_VALUES = ['x:sequence', 'x:mapping', 'checkbox:sequence', 'upload:mapping', ':sequence',
                 'sequence', 'x:rename', 'x:', '', '\x00:mapping', 'x:ignore']


def _is_date(field):
    name = field.name.lower()
    return field.kind == 'date' or any(w in name for w in ('date', 'day', '_on'))


def _kinds(form):
    return {f.name: f for f in form.fields}


@st.composite
def upload(draw):
    content = draw(st.one_of(
        st.binary(max_size=200),
        st.sampled_from([b'', b'\xff\xfe\x00', b'[[[', b'id = "x"\n', b'\x00' * 10,
                         b'x = ' + b'[' * 5000, 'title = "\u202e"\n'.encode()]),
        evil_text.map(lambda t: t.encode('utf-8'))))
    name = draw(st.sampled_from(['upload.toml', '', '../../x.toml', '\u202e.toml', 'a' * 300]))
    return Upload(name, content, draw(st.sampled_from(['text/plain', 'application/toml',
                                                       '', 'x/\x00'])))


@st.composite
def mutated(draw, form, keep_csrf=True):
    """``(pairs, multipart)``: a mutated submission of ``form``."""
    pairs = list(form.baseline())
    fields = _kinds(form)
    for index, (name, value) in enumerate(pairs):
        if fields.get(name) and fields[name].kind == 'file':
            pairs[index] = (name, draw(upload()))
    protected = {'csrf_token'} if keep_csrf else set()

    def pick():
        choices = [i for i, (n, _) in enumerate(pairs) if n not in protected]
        return draw(st.sampled_from(choices)) if choices else None

    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(['replace', 'replace', 'drop', 'repeat', 'extra',
                                   'wrong_type', 'date', 'marker', 'button']))
        i = pick()
        if op == 'extra' or i is None:
            at = draw(st.integers(0, len(pairs)))
            pairs.insert(at, (draw(evil_name), draw(evil_text)))
        elif op == 'replace':
            pairs[i] = (pairs[i][0], draw(evil_text))
        elif op == 'drop':
            del pairs[i]
        elif op == 'repeat':
            value = draw(st.one_of(st.just(pairs[i][1]), evil_text))
            pairs.insert(i + 1, (pairs[i][0], value))
        elif op == 'wrong_type':
            field = fields.get(pairs[i][0])
            if field is not None and field.kind in ('select', 'radio', 'checkbox', 'hidden',
                                                     'number', 'date', 'button'):
                pairs[i] = (pairs[i][0], draw(st.sampled_from(NOT_NUMBERS + ODD[:20])))
            else:
                pairs[i] = (pairs[i][0], draw(st.sampled_from(NOT_NUMBERS)))
        elif op == 'date':
            dates = [j for j, (n, _) in enumerate(pairs) if n in fields and _is_date(fields[n])]
            j = draw(st.sampled_from(dates)) if dates else i
            pairs[j] = (pairs[j][0], draw(st.sampled_from(IMPOSSIBLE_DATES)))
        elif op == 'marker':
            markers = [j for j, (n, _) in enumerate(pairs) if n in ('__start__', '__end__')]
            how = draw(st.sampled_from(['drop', 'extra_end', 'extra_start', 'swap']))
            if how == 'drop' and markers:
                del pairs[draw(st.sampled_from(markers))]
            elif how == 'swap' and markers:
                j = draw(st.sampled_from(markers))
                pairs[j] = ('__end__' if pairs[j][0] == '__start__' else '__start__',
                            draw(st.sampled_from(MARKER_VALUES)))
            elif how == 'extra_start':
                pairs.insert(draw(st.integers(0, len(pairs))),
                             ('__start__', draw(st.sampled_from(MARKER_VALUES))))
            else:
                pairs.insert(draw(st.integers(0, len(pairs))),
                             ('__end__', draw(st.sampled_from(MARKER_VALUES))))
        elif op == 'button':
            buttons = [f for f in form.fields if f.kind == 'button' and f.name]
            if buttons:
                button = draw(st.sampled_from(buttons))
                pairs = [p for p in pairs if p[0] not in {b.name for b in buttons}]
                pairs.append((button.name, draw(st.one_of(st.just(button.value), evil_text))))
    has_file = any(isinstance(v, Upload) for _, v in pairs)
    multipart = has_file or (form.multipart and draw(st.booleans()))
    return pairs, multipart
