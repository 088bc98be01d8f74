"""An XLSX decompression bomb is refused before openpyxl unpacks it
(issue 18, review finding: the XLSX reader).

openpyxl's read-only mode streams the sheet but reads the shared strings
whole, so a workbook of a few kilobytes whose shared strings unpack to
hundreds of megabytes filled the memory of the server or the script.  The
reader now judges the zip's directory first: more than 64 MB unpacked, or
a part (of 1 MB or more) unpacking over 100 times its packed size, is one
clear sentence, and nothing is read.
"""
import io
import zipfile

import openpyxl
import pytest

from minorconsent.caseload import reading
from minorconsent.caseload.columns import NAMES
from minorconsent.caseload.reading import FileProblem, read_rows
from minorconsent.caseload.store import find_client

SHARED = (b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
          b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
SHARED_REL = (b'<Relationship Id="rIdSS" Type="http://schemas.openxmlformats.org/'
              b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
              b'</Relationships>')


def workbook_bytes(rows):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def bomb(path, strings=300_000):
    """A valid workbook (header and one row) plus a shared-strings part of
    ``strings`` identical entries: about 20 MB unpacked from some 60 KB."""
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes([list(NAMES), ['B-1']])))
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == '[Content_Types].xml':
                data = data.replace(b'</Types>', SHARED)
            if item.filename == 'xl/_rels/workbook.xml.rels':
                data = data.replace(b'</Relationships>', SHARED_REL)
            out.writestr(item, data)
        out.writestr('xl/sharedStrings.xml',
                     b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.'
                     b'openxmlformats.org/spreadsheetml/2006/main">'
                     + (b'<si><t>' + b'a' * 50 + b'</t></si>') * strings + b'</sst>')
    return path


def test_a_small_bomb_is_refused_in_one_sentence(tmp_path):
    path = bomb(tmp_path / 'bomb.xlsx')
    assert path.stat().st_size < 200_000
    with pytest.raises(FileProblem) as refused:
        list(read_rows(str(path)))
    message = str(refused.value)
    assert 'decompression bomb' in message and 'xl/sharedStrings.xml' in message
    assert message.count('.') <= 3 and '\n' not in message


def test_a_bomb_import_writes_nothing(tmp_path, caseload_import, clinic):
    report = caseload_import(bomb(tmp_path / 'bomb.xlsx'))
    assert any('decompression bomb' in line for line in report.lines())
    with clinic() as c:
        assert find_client(c, 'B-1') is None


def test_a_workbook_unpacking_past_the_limit_is_refused(tmp_path, monkeypatch):
    path = tmp_path / 'plain.xlsx'
    path.write_bytes(workbook_bytes([list(NAMES), ['B-2']]))
    assert [number for number, _ in read_rows(str(path))] == [2]
    monkeypatch.setattr(reading, 'MAX_UNPACKED', 4096)
    with pytest.raises(FileProblem) as refused:
        list(read_rows(str(path)))
    assert 'unpacks to' in str(refused.value) and 'save it as CSV' in str(refused.value)


def test_a_real_sheet_passes_the_check(tmp_path):
    """A thousand varied rows (a sheet's XML packs well, far below 100x)."""
    rows = [list(NAMES)] + [['C-%05d' % i, 'Given%d' % i, 'Family%d' % (i % 37)]
                            for i in range(1000)]
    path = tmp_path / 'many.xlsx'
    path.write_bytes(workbook_bytes(rows))
    assert len(list(read_rows(str(path)))) == 1000
