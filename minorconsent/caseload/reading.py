"""Reading a caseload file: CSV or XLSX in, ``(row number, {column: cell})`` out.

Why a reader of its own and not ``csv.DictReader`` alone: the file comes
from a spreadsheet program or a practice-management export, and whatever
it holds (a BOM, semicolons, a quote never closed, a binary file renamed
.csv, a row of 10,000 cells, a 200 MB file) must end in one sentence that
names the row, never in an exception.  Rows are yielded one at a time and
never kept, so memory stays flat whatever the file's length (openpyxl's
read-only mode streams an XLSX sheet the same way).

Row numbers are the spreadsheet's: the header is row 1, the first client
row 2, so an operator finds "row 48" where their program shows it.
"""
import csv
import hashlib
import zipfile

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from .columns import BY_NAME, NAMES

#: Most cells a row may hold (the columns, and room for a few notes
#: columns a spreadsheet adds, which are ignored).
MAX_CELLS = 64
#: Most characters in one cell (a name is at most 100; a quote never closed
#: swallows the rest of the file into one cell and stops here).
MAX_CELL = 1000
#: The first bytes of an XLSX (a zip archive).
ZIP_MAGIC = b'PK\x03\x04'
DELIMITERS = (',', ';', '\t')
#: Most bytes an XLSX may unpack to (a 50,000-row sheet as openpyxl writes
#: it unpacks to about 46 MB; Excel's, with shared strings, to less).
MAX_UNPACKED = 64 * 1024 * 1024
#: Most times a part of an XLSX may unpack its packed size (the XML of a
#: real sheet packs 5 to 20 times; a decompression bomb thousands).
MAX_RATIO = 100
#: Parts smaller than this unpacked are not judged by their ratio (they
#: cannot fill memory, and a tiny repetitive part packs very well).
SMALL_PART = 1024 * 1024


class FileProblem(ValueError):
    """The file cannot be read on: the message names the row where it can."""


def header_key(text):
    """A header cell as a column name: case, spaces and dashes do not count."""
    return '_'.join(str(text or '').strip().lstrip('\ufeff').lower()
                    .replace('-', ' ').split())


def map_header(cells):
    """``{index: column name}`` of a header row; raises ``FileProblem``
    naming what is missing, doubled or unknown."""
    if len(cells) > MAX_CELLS:
        raise FileProblem('Row 1 (the header) has %d cells; a caseload file has %d columns.'
                          % (len(cells), len(NAMES)))
    found, unknown = {}, []
    for index, cell in enumerate(cells):
        key = header_key(cell)
        if not key:
            continue
        if key in BY_NAME:
            if key in found.values():
                raise FileProblem('Row 1 (the header) names the column %s twice.' % key)
            found[index] = key
        else:
            unknown.append(key[:40])
    missing = [name for name in NAMES if BY_NAME[name].required and name not in found.values()]
    if missing:
        hint = ' Unknown columns: %s.' % ', '.join(unknown[:5]) if unknown else ''
        raise FileProblem('Row 1 (the header) lacks the required column%s %s.%s'
                          % ('s' if len(missing) > 1 else '', ', '.join(missing), hint))
    if unknown:
        raise FileProblem('Row 1 (the header) has columns that are not caseload columns: %s. '
                          'The columns are listed in docs/CASELOAD.md.' % ', '.join(unknown[:5]))
    return found


def sniff_delimiter(first_line):
    """The delimiter that splits the header into the most known columns
    (csv.Sniffer guesses wrong on a header of plain words)."""
    def known(delimiter):
        return sum(header_key(part.strip('"')) in BY_NAME for part in first_line.split(delimiter))
    return max(DELIMITERS, key=known)


def _cells_of(row, header, number):
    if len(row) > MAX_CELLS:
        raise FileProblem('Row %d has %d cells; a caseload row has %d columns.'
                          % (number, len(row), len(NAMES)))
    cells = {}
    for index, name in header.items():
        value = row[index] if index < len(row) else None
        if isinstance(value, str) and len(value) > MAX_CELL:
            raise FileProblem('Row %d, %s: the cell holds %d characters (at most %d). '
                              'Is a quote left open above it?'
                              % (number, name, len(value), MAX_CELL))
        cells[name] = value
    return cells


def _blank(row):
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in row)


def is_xlsx(path):
    with open(path, 'rb') as f:
        return f.read(4) == ZIP_MAGIC


def read_rows(path):
    """Yield ``(row number, {column: cell})`` for every non-blank row.

    Raises ``FileProblem`` (and nothing else) for a file that cannot be
    read on, naming the row."""
    try:
        if is_xlsx(path):
            yield from _xlsx_rows(path)
        else:
            yield from _csv_rows(path)
    except FileProblem:
        raise
    except MemoryError:
        raise FileProblem('The file is too large to read.') from None
    except Exception as exc:   # noqa: BLE001 - whatever a file holds, one sentence
        raise FileProblem('The file cannot be read (%s).' % type(exc).__name__) from None


def _csv_rows(path):
    with open(path, 'rb') as raw:
        if b'\x00' in raw.read(4096):
            raise FileProblem('The file is not a CSV or XLSX file: it holds binary data.')
        raw.seek(0)
        lines = _text_lines(raw)
        number = 0
        try:
            first = next(lines, '')
            if not first.strip():
                raise FileProblem('Row 1 (the header) is empty: is this a caseload file?')
            reader = csv.reader(_chain(first, lines), delimiter=sniff_delimiter(first),
                                strict=True)
            header = None
            for row in reader:
                number += 1
                if header is None:
                    header = map_header(row)
                    continue
                if _blank(row):
                    continue
                yield number, _cells_of(row, header, number)
        except UnicodeDecodeError:
            raise FileProblem('Row %d: the file is not UTF-8 text (save it as "CSV UTF-8" '
                              'or as XLSX).' % (number + 1)) from None
        except LineTooLong:
            raise FileProblem('Row %d is far too long: is this a caseload file?'
                              % (number + 1)) from None
        except csv.Error as exc:
            raise FileProblem('Row %d: %s.' % (number + 1, _csv_reason(exc))) from None


class LineTooLong(Exception):
    pass


def _text_lines(raw, limit=1 << 20):
    """The file's lines, decoded one at a time, so a byte that is not UTF-8
    is found on its own line (a UTF-8 character never holds a newline
    byte), and a line without an end stops at ``limit`` bytes."""
    first = True
    while True:
        line = raw.readline(limit)
        if not line:
            return
        if len(line) >= limit and not line.endswith(b'\n'):
            raise LineTooLong()
        text = line.decode('utf-8-sig' if first else 'utf-8')
        first = False
        yield text


def _csv_reason(exc):
    text = str(exc)
    if 'field larger than field limit' in text:
        return 'a cell is far too long'
    if 'NUL' in text:
        return 'the file holds binary data'
    if 'unexpected end of data' in text:
        return 'the file ends inside a quoted cell (a quote left open?)'
    return 'the CSV is malformed (a quote left open?)'


def _chain(first, rest):
    yield first
    yield from rest


def _xlsx_cell(value):
    """A spreadsheet cell as the columns read it: whole numbers without
    ``.0`` (a client id typed as 1001), dates kept as dates."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


def check_unpacked_size(handle):
    """Refuse a zip bomb before openpyxl unpacks anything.

    Why: openpyxl's read-only mode streams the sheet, but reads its shared
    strings whole, and an XLSX of a few kilobytes can unpack to gigabytes.
    The zip's directory says each part's unpacked size, and ``zipfile``
    (which openpyxl reads through) never unpacks a part past the size its
    directory gives (a part that lies fails its CRC), so judging the
    directory bounds what reading the file can cost."""
    with zipfile.ZipFile(handle) as archive:
        parts = archive.infolist()
    total = sum(part.file_size for part in parts)
    if total > MAX_UNPACKED:
        raise FileProblem('The workbook unpacks to %d MB, more than the %d MB a caseload '
                          'file may hold: save it as CSV, or split it.'
                          % (total // (1024 * 1024), MAX_UNPACKED // (1024 * 1024)))
    for part in parts:
        if part.file_size >= SMALL_PART and part.file_size > MAX_RATIO * max(
                1, part.compress_size):
            raise FileProblem('The workbook is refused: its part %s unpacks to %d times its '
                              'packed size, as a decompression bomb does; save the sheet '
                              'as CSV and import that.' % (
                                  part.filename[:60], part.file_size // max(1, part.compress_size)))
    handle.seek(0)


def _xlsx_rows(path):
    # An open file, not the path: openpyxl refuses a path without the
    # .xlsx ending, and the upload page keeps files under their SHA-256.
    handle = open(path, 'rb')
    try:
        check_unpacked_size(handle)
        book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except FileProblem:
        handle.close()
        raise
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        handle.close()
        raise FileProblem('The file is not a readable XLSX workbook (%s).'
                          % type(exc).__name__) from None
    try:
        sheet = book.worksheets[0]
        header = None
        for number, row in enumerate(sheet.iter_rows(values_only=True), 1):
            row = list(row)
            while row and row[-1] is None:
                row.pop()
            if header is None:
                header = map_header([str(v) if v is not None else '' for v in row])
                continue
            if _blank(row):
                continue
            yield number, _cells_of([_xlsx_cell(v) for v in row], header, number)
        if header is None:
            raise FileProblem('The workbook\'s first sheet is empty.')
    finally:
        book.close()
        handle.close()


def file_sha256(path):
    """The file's SHA-256 (hex): names the import on the audit trail and
    in each record's history, and ties a confirmation to the file checked."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


