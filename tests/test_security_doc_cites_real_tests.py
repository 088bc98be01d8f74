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
