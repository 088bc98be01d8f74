"""docs/SECURITY.md names, for every control, the test that proves it.

A cited test that was renamed or deleted would leave a control with no
proof while the document still claims one, so every ``tests/…py::name``
it cites (and every bare ``::name`` that follows one, which means the same
file) must be a test function defined in that file (or one of the
numbered shards a file makes in a loop, ``test_name_%d``).
"""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CITATION = re.compile(r'(tests/[\w/]+\.py)?::(test_\w+)')


def cited_tests(text):
    """``(file, test name)`` for every citation, bare ``::name`` resolved
    against the file cited last."""
    current = None
    for match in CITATION.finditer(text):
        path, name = match.groups()
        current = path or current
        if current:
            yield current, name


def test_every_test_the_threat_model_cites_exists():
    text = (ROOT / 'docs' / 'SECURITY.md').read_text()
    missing = []
    cited = list(cited_tests(text))
    for path, name in cited:
        source = ROOT / path
        body = source.read_text() if source.exists() else ''
        shard = re.sub(r'_\d+$', '_%d', name)
        if not (re.search(r'^\s*(async )?def %s\(' % name, body, re.M)
                or (shard != name and "'%s'" % shard in body)):
            missing.append('%s::%s' % (path, name))
    assert len(cited) > 100
    assert not missing, 'SECURITY.md cites tests that do not exist: %s' % sorted(set(missing))


#: A module of the package in backticks, and the name after it if any:
#: `clients/model.py` `GuardianLink.grants_portal_access`.
MODULE_CITATION = re.compile(
    r'`(?:minorconsent/)?((?:[a-z_]+/)+[a-z_]+\.py)`(?:\s+`([A-Za-z_][\w.]*)`)?')
#: A dotted name of the package: `agreements.model.typed_name_matches`
#: (with ``minorconsent.`` in front it is a setting, not code).
DOTTED_CITATION = re.compile(r'`((?:[a-z_]+\.)+)([A-Za-z_]\w*)`')
ROOMS = {p.name for p in (ROOT / 'minorconsent').iterdir() if p.is_dir()}


def defines(source, name):
    """Does ``source`` define ``name`` (its first part, for ``Class.attr``)?
    Importing it is not enough: the reader is sent to where it is written."""
    first = name.split('.')[0]
    return re.search(r'^\s*(?:async def|def|class) %s\b|^%s\s*[:=]' % (first, first),
                     source, re.M) is not None


def test_every_module_and_name_the_documents_cite_exists():
    """The documents point a reader at the code of each control: a module
    moved or a function renamed must take the document along."""
    missing = []
    for doc in ('SECURITY.md', 'ARCHITECTURE.md', 'OPERATIONS.md'):
        text = (ROOT / 'docs' / doc).read_text()
        for path, name in MODULE_CITATION.findall(text):
            if path.split('/')[0] not in ROOMS:
                continue
            source = ROOT / 'minorconsent' / path
            if not source.exists():
                missing.append('%s: %s' % (doc, path))
            elif name and not defines(source.read_text(), name):
                missing.append('%s: %s %s' % (doc, path, name))
        for dotted, name in DOTTED_CITATION.findall(text):
            parts = dotted.rstrip('.').split('.')
            if parts[0] == 'minorconsent' or parts[0] not in ROOMS:
                continue
            base = ROOT / 'minorconsent' / Path(*parts)
            source = base.with_suffix('.py') if base.with_suffix('.py').exists() \
                else base / '__init__.py'
            if not source.exists():
                # ``room.module.Class.attr``: the class is the name.
                base = ROOT / 'minorconsent' / Path(*parts[:-1])
                source = base.with_suffix('.py')
                name = parts[-1]
            if not source.exists():
                missing.append('%s: %s%s' % (doc, dotted, name))
            elif not defines(source.read_text(), name):
                missing.append('%s: %s%s' % (doc, dotted, name))
    assert not missing, 'the documents cite code that is not there:\n' + '\n'.join(missing)
