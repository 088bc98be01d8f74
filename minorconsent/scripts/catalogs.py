"""Translation catalogs: extract, merge, compile (a developer's tool).

    python3 dev.py catalogs

Extracts every ``_()`` and ``i18n:translate`` string with lingua, and
every Jinja2 ``{% trans %}`` block with the compiler's own ids
(``site.jinja.template_msgids``), into
``minorconsent/locale/minorconsent.pot``, merges it into each language's
``.po`` (new strings arrive untranslated; ``tests/site/test_catalogs.py``
fails until they are translated) and compiles the ``.mo`` files that ship
in the package.  Needs the testing extras (lingua, polib).
"""
import subprocess
import sys
from pathlib import Path

from minorconsent.site.jinja import template_msgids

PACKAGE = Path(__file__).resolve().parent.parent
LOCALE = PACKAGE / 'locale'
DOMAIN = 'minorconsent'


def extract(pot_path):
    """Write the template catalog of the package's strings to ``pot_path``."""
    pot_create = Path(sys.executable).with_name('pot-create')
    # ``t('...')`` is how PDFs and pages translate a literal with the request's localizer.
    subprocess.run([str(pot_create), '--no-location', '--keyword', 't', '-o', str(pot_path),
                    PACKAGE.name],
                   cwd=PACKAGE.parent, check=True, stdout=subprocess.DEVNULL)
    import polib
    pot = polib.pofile(str(pot_path))
    known = {entry.msgid for entry in pot}
    for template in sorted(PACKAGE.rglob('*.jinja2')):
        for msgid in template_msgids(template.read_text(encoding='utf-8')):
            if msgid not in known:
                known.add(msgid)
                pot.append(polib.POEntry(msgid=msgid, msgstr=''))
    pot.save(str(pot_path))


def languages():
    return sorted(p.name for p in LOCALE.iterdir() if (p / 'LC_MESSAGES').is_dir())


def po_path(language):
    return LOCALE / language / 'LC_MESSAGES' / (DOMAIN + '.po')


def main():
    import polib
    pot_path = LOCALE / (DOMAIN + '.pot')
    extract(pot_path)
    pot = polib.pofile(str(pot_path))
    for language in languages():
        po = polib.pofile(str(po_path(language)))
        po.merge(pot)
        po.save()
        po.save_as_mofile(str(po_path(language).with_suffix('.mo')))
        untranslated = len(po.untranslated_entries()) + len(po.fuzzy_entries())
        print('%s: %d strings, %d to translate' % (language, len(po), untranslated))
    return 0


if __name__ == '__main__':  # pragma: no cover
    sys.exit(main())
