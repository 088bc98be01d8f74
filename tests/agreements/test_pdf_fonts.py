"""Each font file parsed once per process (agreements/fonts_cache.py), and
every PDF still exactly what fpdf2's own ``add_font`` would have made: the
same fonts, the same subset of each, the same bytes; documents drawn at
the same time on several threads (waitress) each hold their own text."""
import io
import threading
from datetime import datetime, timezone

from types import SimpleNamespace

import pypdf
import pytest
import time_machine
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.fonts import TTFFont

from minorconsent.agreements import documentpdf, fonts_cache, pdf
from minorconsent.agreements.agreement_record import AgreementRecord, EventLine, SignatureLine
from minorconsent.agreements.documentpdf import DocumentPDF
from minorconsent.portal import summary_pdf

WHEN = datetime(2026, 12, 7, 1, 2, 3, tzinfo=timezone.utc)

SPANISH = ('Acuerdo de confidencialidad', 'La niña Begoña Muñoz y su información: '
           'sesión, corazón, pingüino, ¿por qué? ¡Sí! ' * 12)
ENGLISH = ('Consent to treatment', 'Signed by Olga Жукова and 王小明 at 10:14. '
           'The risk of serious harm to the child is shared with the guardian. ' * 12)


class StockPDF(DocumentPDF):
    """The same page with fpdf2's own ``add_font``: a new parse per document."""

    def add_font(self, *args, **kwargs):
        return FPDF.add_font(self, *args, **kwargs)


def draw(cls, title, text):
    pdf = cls(title)
    pdf.set_creation_date(WHEN)
    pdf.add_page()
    pdf.set_font('DejaVu', 'B', 16)
    pdf.multi_cell(0, 9, title, new_x='LMARGIN', new_y='NEXT')
    pdf.set_font('DejaVu', '', 11)
    pdf.multi_cell(0, 6, text, new_x='LMARGIN', new_y='NEXT')
    return bytes(pdf.output())


def text_of(data):
    return ' '.join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)


def embedded_fonts(data):
    """``{base font name: the set of characters its embedded subset maps}``."""
    fonts = {}
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        for ref in page['/Resources']['/Font'].values():
            font = ref.get_object()
            descriptor = font['/DescendantFonts'][0].get_object()['/FontDescriptor']
            subset = TTFont(io.BytesIO(descriptor['/FontFile2'].get_object().get_data()))
            fonts[str(font['/BaseFont'])] = {chr(c) for c in subset.getBestCmap()}
    return fonts


@pytest.mark.parametrize('title, text', [SPANISH, ENGLISH, ('Título', ''), ('x', 'ü ñ')])
def test_a_pdf_is_byte_for_byte_what_fpdf2s_own_add_font_makes(title, text):
    assert draw(DocumentPDF, title, text) == draw(StockPDF, title, text)


RECORD = AgreementRecord(
    title='Acuerdo de confidencialidad', client_name='Begoña Muñoz 王小明',
    client_birth_date='2014-03-09', practice='Clínica Demo', text=SPANISH[1],
    text_sha256='ab' * 32, template_version=3, workflow_version=2, state_title='Active',
    signatures=(SignatureLine('u1', 'Elena Muñoz', 'Madre', '2026-12-01 10:00', '192.0.2.10',
                              'Firefox'),),
    events=(EventLine('2026-12-01 10:00', 'signed', 'Elena Muñoz', '192.0.2.10', 'u1'),))
SUMMARY = SimpleNamespace(
    period='Otoño', published=WHEN.date(), corrects=True, text=SPANISH[1],
    goals=(SimpleNamespace(title='Dormir', rating='Better', description='Más calma',
                           note='¡Bien!'),))
CONTACT = SimpleNamespace(name='Clínica Demo', phone='555-0100', email='info@demo.test',
                          hours='9-17', crisis_line='555-0199')


@pytest.mark.parametrize('render, shown', [
    (lambda: pdf.render(RECORD), 'Client: Begoña Muñoz 王小明'),
    (lambda: summary_pdf.render('Begoña', SUMMARY, CONTACT), 'Begoña: Otoño')],
    ids=['agreement', 'summary'])
def test_the_apps_pdfs_are_byte_for_byte_what_fpdf2s_own_add_font_makes(
        render, shown, monkeypatch):
    with time_machine.travel(WHEN, tick=False):
        cached = render()
        monkeypatch.setattr(documentpdf.DocumentPDF, 'add_font', StockPDF.add_font)
        assert render() == cached
    assert shown in text_of(cached)


def test_two_pdfs_drawn_at_once_each_hold_their_own_text_and_glyphs():
    expected = {name: draw(StockPDF, *doc) for name, doc in
                (('es', SPANISH), ('en', ENGLISH))}
    start = threading.Barrier(4)
    made, failures = [], []

    def worker(name, doc):
        try:
            start.wait()
            for _ in range(3):
                made.append((name, draw(DocumentPDF, *doc)))
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=args) for args in
               (('es', SPANISH), ('en', ENGLISH), ('es', SPANISH), ('en', ENGLISH))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures and len(made) == 12
    for name, data in made:
        assert data == expected[name], name
    spanish = text_of(expected['es'])
    english = text_of(expected['en'])
    assert 'Begoña Muñoz' in spanish and 'pingüino' in spanish and 'Жукова' not in spanish
    assert 'Жукова' in english and '王小明' in english and 'Begoña' not in english
    es_fonts, en_fonts = embedded_fonts(expected['es']), embedded_fonts(expected['en'])
    assert set(es_fonts) == {'/MPDFAA+DejaVuSansBook', '/MPDFAA+DejaVuSansBold'}
    assert set(en_fonts) == set(es_fonts) | {'/MPDFAA+NotoSansCJKSC'}
    # Each subset holds its own document's characters, and none of the other's.
    assert {'ñ', 'ü', '¿'} <= es_fonts['/MPDFAA+DejaVuSansBook']
    assert not {'Ж', 'к'} & es_fonts['/MPDFAA+DejaVuSansBook']
    assert {'Ж', 'к'} <= en_fonts['/MPDFAA+DejaVuSansBook']
    assert not {'ñ', 'ü', '¿'} & en_fonts['/MPDFAA+DejaVuSansBook']
    assert {'王', '小', '明'} <= en_fonts['/MPDFAA+NotoSansCJKSC']


def test_each_font_file_is_parsed_once_per_process(monkeypatch):
    monkeypatch.setattr(fonts_cache, '_parsed', {})       # as in a new process
    parsed = []
    parse = TTFFont.__init__

    def counting(self, fpdf, path, *args, **kwargs):
        parsed.append(path.name)
        parse(self, fpdf, path, *args, **kwargs)

    monkeypatch.setattr(TTFFont, '__init__', counting)
    made = []
    threads = [threading.Thread(target=lambda: made.append(draw(DocumentPDF, *SPANISH)))
               for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    made.append(draw(DocumentPDF, *SPANISH))
    assert len(made) == 4 and len(set(made)) == 1
    assert sorted(parsed) == ['DejaVuSans-Bold.ttf', 'DejaVuSans.ttf']
    draw(DocumentPDF, *ENGLISH)
    draw(DocumentPDF, *ENGLISH)
    assert sorted(parsed) == ['DejaVuSans-Bold.ttf', 'DejaVuSans.ttf',
                              'NotoSansCJKsc-Regular-subset.woff']
