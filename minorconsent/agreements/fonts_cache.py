"""Each font file of the app's PDFs read and parsed once per process.

fpdf2's ``add_font`` reads the file and parses it with fontTools for every
document (the character map, every glyph's width, id and outline): about
65 ms of CPU for DejaVu Sans and its bold, of a short document's 95 ms,
and 600 ms for the CJK font; its ``output`` then decodes the layout tables
too, to subset the font.  All of that decoding gives the same result for
every document, so it is done once here and kept.

What one document changes, it gets of its own:

- the subset (``SubsetMap``: which glyphs the document used, and their
  codes), the missing glyphs it warns about and the biggest size drawn;
- the widths table (a ``defaultdict`` that grows on a lookup of a
  character the font lacks);
- the font descriptor, a PDF object that ``output`` numbers and fills in;
- the fontTools ``TTFont`` that ``output`` subsets *in place* and closes:
  opened from the file's bytes in memory, with copies of the decoded
  tables (``_Decoded``: what is copied, and why that is enough).

A font this cannot share exactly (a colour font, a variable font, a
``unicode_range``, a font that lacks the ``.notdef`` glyph fpdf2 would then
draw into it) is not cached: ``font_for`` returns ``None`` and
``DocumentPDF`` uses fpdf2's own ``add_font``.  Either way a PDF is the
same, byte for byte (``tests/agreements/test_pdf_fonts.py``), and the
fonts are parsed under a lock, once, before any thread sees them: waitress
draws PDFs on several threads at once.
"""
import copy
import io
import threading
from pathlib import Path

from fontTools import ttLib
from fontTools.ttLib import beyond64k
from fontTools.ttLib.tables._g_l_y_f import Glyph
from fpdf.enums import TextEmphasis
from fpdf.fonts import SubsetMap, TTFFont

#: The slots of ``TTFFont`` a document shares with the parse, unchanged.
SHARED = ('type', 'ttffile', 'is_compressed', 'collection_font_number', 'scale',
          'cmap', 'glyph_ids', 'name', 'up', 'ut', 'sp', 'ss', 'palette_index',
          'is_cff', 'is_cid_keyed', 'is_symbol', 'cff_ros')

_lock = threading.Lock()
_parsed = {}          # (path, face) -> _Parsed, or None: not cacheable


class _Host:
    """What ``TTFFont.__init__`` reads of its ``FPDF``: no fonts yet, and
    colour fonts on (so a colour font shows itself, and is not cached)."""
    fonts = {}
    render_color_fonts = True


class _Parsed:
    """One font file, parsed: the bytes, and a ``TTFFont`` that is never
    drawn with, only copied from."""

    def __init__(self, path, face):
        self.data = Path(path).read_bytes()
        self.face = face
        self.font = TTFFont(_Host(), Path(path), '', '', None, None, None, face)
        self.tables = _Decoded(self.font.ttfont)
        self.font.ttfont.close()         # the parse is done; documents open their own
        self.font.ttfont = None

    def ttfont(self):
        """A fontTools font of one document's own, for fpdf2 to subset in
        place at output: opened from the bytes in memory, with the tables
        the subsetter decodes whole already there as copies."""
        font = ttLib.TTFont(io.BytesIO(self.data), recalcTimestamp=False,
                            fontNumber=self.face, lazy=True)
        if self.font.is_compressed:
            font.flavor = None
        self.tables.seed(font)
        return font

    @staticmethod
    def cacheable(path, face):
        """Whether the parse leaves the font file's tables as they are: not if
        fpdf2 would draw a ``.notdef`` into them."""
        with ttLib.TTFont(str(path), fontNumber=face, lazy=True) as font:
            return 'glyf' not in font or '.notdef' in font['glyf']


class _Decoded:
    """The big tables of a font, decoded once: the glyph order, the
    character maps, the widths (``hmtx``), the names (``post``) and the
    outlines (``glyf``): decoding them was most of the cost of fpdf2's
    subsetting at output, for every document.

    fontTools' subsetter changes these tables by giving them new values
    (``table.metrics = {...}``, ``subtable.cmap = {...}``, ``formatType``,
    ``extraNames``, ``glyphOrder``), not by changing the values it was given,
    so each document gets a shallow copy of each table; except the glyphs,
    which it changes in place (it renumbers components and trims them, and
    expands them when it compiles): each document gets new ``Glyph``
    objects, made from the same bytes.  Decoding is done here in full,
    before any document sees these objects, so no thread decodes into a
    shared one.  ``test_pdf_fonts`` holds the result to fpdf2's own, byte
    for byte."""

    TAGS = ('hmtx', 'post', 'cmap', 'glyf')
    #: The layout tables fpdf2 has the subsetter drop, which it still reads
    #: (for their format) before it drops them.
    LAYOUT = ('GDEF', 'GSUB', 'GPOS')

    def __init__(self, font):
        self.order = list(font.getGlyphOrder())
        self.have = [tag for tag in self.TAGS if tag in font]
        self.table = {tag: font[tag] for tag in self.have}
        self.shared = {tag: font[tag] for tag in self.LAYOUT if tag in font}
        for table in self.shared.values():
            table.ensureDecompiled(recurse=True)
        if not all(self.read_only(table.table) for table in self.shared.values()):
            self.shared = {}
        if 'cmap' in self.table:
            self.table['cmap'].ensureDecompiled()
        glyf = self.table.get('glyf')
        # Each glyph's bytes as decoded (none expanded yet: else not shared).
        self.glyphs = {name: getattr(glyph, 'data', b'')
                       for name, glyph in glyf.glyphs.items()} if glyf else None
        if glyf and not all(hasattr(glyph, 'data') or vars(glyph) == {'numberOfContours': 0}
                            for glyph in glyf.glyphs.values()):
            self.have.remove('glyf')

    @staticmethod
    def read_only(table):
        """Whether the subsetter only reads this layout table before it
        drops it (``fontTools.ttLib.beyond64k``: it converts, in place, the
        1.2+ versions and the extended formats): then documents may share
        it, fully decoded."""
        extended = getattr(beyond64k, '_has_extended_layout_formats', None)
        return (extended is not None and table.Version < 0x00010002
                and not extended(table))

    def seed(self, font):
        font.setGlyphOrder(list(self.order))
        font.tables.update(self.shared)
        for tag in self.have:
            table = copy.copy(self.table[tag])
            if tag == 'cmap':
                table.tables = [copy.copy(sub) for sub in table.tables]
            elif tag == 'glyf':
                table.glyphs = _Glyphs(self.glyphs)
                table.glyphOrder = list(self.order)
                table._reverseGlyphOrder = {}
            font.tables[tag] = table


class _Glyphs(dict):
    """A document's glyphs by name: a new ``Glyph`` made from the shared
    bytes when the subsetter first takes it (a document uses a few hundred
    of the thousands), so no document changes another's."""

    def __getitem__(self, name):
        glyph = dict.__getitem__(self, name)
        if type(glyph) is bytes:
            glyph = Glyph(glyph)
            dict.__setitem__(self, name, glyph)
        return glyph

    def get(self, name, default=None):
        return self[name] if name in self else default

    def values(self):
        return [self[name] for name in self]

    def items(self):
        return [(name, self[name]) for name in self]


def parsed(path, face=0):
    """The parse of ``path`` (one per process), or ``None`` when it cannot be
    shared."""
    key = (str(path), face)
    try:
        return _parsed[key]
    except KeyError:
        pass
    with _lock:
        if key not in _parsed:
            entry = _Parsed(path, face) if _Parsed.cacheable(path, face) else None
            if entry is not None and entry.font.color_font is not None:
                entry = None
            _parsed[key] = entry
        return _parsed[key]


def font_for(fpdf, path, fontkey, style, face=0):
    """A ``TTFFont`` for one document ``fpdf``, as ``fpdf.add_font(family,
    style, path)`` would make it, from the process's parse of ``path``; or
    ``None`` when that font is not cached."""
    entry = parsed(path, face)
    if entry is None:
        return None
    base = entry.font
    font = TTFFont.__new__(TTFFont)
    for name in SHARED:
        setattr(font, name, getattr(base, name))
    font.i = len(fpdf.fonts) + 1
    font.fontkey = fontkey
    font.emphasis = TextEmphasis.coerce(style)
    font.biggest_size_pt = 0
    font.missing_glyphs = []
    font.cw = copy.copy(base.cw)
    font.desc = copy.copy(base.desc)
    font._hbfont = None
    font.color_font = None
    font.ttfont = entry.ttfont()
    font.subset = SubsetMap(font)
    return font
