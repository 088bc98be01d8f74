"""The Spanish catalog is complete and compiled from its .po."""
import polib

from minorconsent.scripts import catalogs


def test_every_family_facing_string_has_a_spanish_translation(tmp_path):
    pot_path = tmp_path / 'minorconsent.pot'
    catalogs.extract(pot_path)
    wanted = {entry.msgid for entry in polib.pofile(str(pot_path))}
    assert len(wanted) > 100
    po = polib.pofile(str(catalogs.po_path('es')))
    translated = {e.msgid for e in po.translated_entries() if 'fuzzy' not in e.flags}
    missing = sorted(wanted - translated)
    assert not missing, 'untranslated (run python3 dev.py catalogs): %s' % missing[:10]
    for entry in po.translated_entries():   # placeholders survive translation
        for name in ('${name}', '${portal}', '${email}', '${url}', '${date}', '${expires}'):
            if name in entry.msgid or (entry.msgid.startswith('mail-') and name in entry.msgstr):
                assert name in entry.msgstr, entry.msgid


def test_the_shipped_mo_is_the_compiled_po():
    po = polib.pofile(str(catalogs.po_path('es')))
    mo = polib.mofile(str(catalogs.po_path('es').with_suffix('.mo')))
    assert {e.msgid: e.msgstr for e in po.translated_entries()} == \
        {e.msgid: e.msgstr for e in mo if e.msgid}
