"""The page every PDF of the app is drawn on: its fonts, and the rule that
no character of a name is lost.

DejaVu Sans (``fonts/``, Bitstream Vera licence) covers Latin, Greek,
Cyrillic and more, but no Chinese, Japanese or Korean: fpdf2 leaves out a
character its font lacks, so a guardian named 王小明 signed a certificate
with no name on it.  A subset of Noto Sans CJK (``fonts/LICENSE_NOTO_CJK``,
SIL Open Font Licence: the ideographs, kana and Hangul of the Basic
Multilingual Plane) is the fallback font for those characters.  It is
registered only for a document that holds one (it is several megabytes to
read), and fpdf2 embeds only the glyphs used.

Each font file is parsed once per process (``fonts_cache``), not once per
document as fpdf2's ``add_font`` does; each document still gets its own
subset of it.

A character that neither font can draw (an ideograph outside the subset,
a script neither covers) is written as its code point, ``[U+20BB7]``:
visible, and the exact name can be recovered from it, where fpdf2 would
drop it without a word.
"""
import unicodedata
from os.path import isabs
from functools import lru_cache
from importlib.resources import files

from fpdf import FPDF

from . import fonts_cache

FONTS = files(__package__) / 'fonts'
CJK_FONT = 'NotoSansCJKsc-Regular-subset.woff'


@lru_cache(maxsize=None)
def _cmap(name):
    """The code points the font file ``name`` has a glyph for."""
    from fontTools.ttLib import TTFont
    with (FONTS / name).open('rb') as f:
        return frozenset(TTFont(f, lazy=True).getBestCmap())


def cjk_covers(char):
    return ord(char) in _cmap(CJK_FONT)


def code_point(char):
    return '[U+%04X]' % ord(char)


class DocumentPDF(FPDF):
    """An A4 ``FPDF`` with DejaVu Sans (regular, bold) set up, and Noto
    Sans CJK as fallback once a text needs it."""

    def __init__(self, title):
        super().__init__(format='A4')
        self.set_title(title)
        self.set_creator('minorconsent')
        self.add_font('DejaVu', '', str(FONTS / 'DejaVuSans.ttf'))
        self.add_font('DejaVu', 'B', str(FONTS / 'DejaVuSans-Bold.ttf'))
        self._cjk = False

    def add_font(self, family=None, style='', fname=None, **options):
        """``FPDF.add_font``, with the font's parse shared by every document
        of the process (``fonts_cache``): it is the same for all of them,
        and parsing it was most of the cost of a PDF."""
        style = ''.join(sorted(style.upper()))
        fontkey = '%s%s' % ((family or '').lower(), style)
        font = None
        if family and fname and isabs(fname) and not options and fontkey not in self.fonts:
            font = fonts_cache.font_for(self, fname, fontkey, style)
        if font is None:
            return super().add_font(family, style, fname, **options)
        self.fonts[fontkey] = font
        if font.is_cff and font.is_cid_keyed:
            self._set_min_pdf_version('1.6')

    def normalize_text(self, text):
        """Every text fpdf2 draws passes here: each character is drawn by
        the current font, by the CJK fallback, or written as its code
        point."""
        return super().normalize_text(self.drawable(text))

    def drawable(self, text):
        font = self.current_font
        if font is None:
            return text
        have = font.cmap
        out = []
        for char in text:
            if ord(char) in have or unicodedata.category(char) == 'Cc':
                out.append(char)
            elif cjk_covers(char):
                self._use_cjk()
                out.append(char)
            else:
                out.append(code_point(char))
        return ''.join(out)

    def _use_cjk(self):
        if not self._cjk:
            self._cjk = True
            self.add_font('NotoSansCJK', '', str(FONTS / CJK_FONT))
            # Bold text falls back on the regular weight (no bold subset).
            self.set_fallback_fonts(['NotoSansCJK'], exact_match=False)
