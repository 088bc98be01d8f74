"""A non-editable install ships and serves static files, templates and
workflows.

The wheel is built from a copy of the project tree: an in-tree build would
write ``build/`` and rewrite ``minorconsent.egg-info`` in the working copy
other people are using.  Symlinks (``minorconsent/static`` and
``minorconsent/workflows`` point at top-level folders) are copied as
symlinks, exactly as they are in the checkout.
"""
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
PACKAGE = PROJECT / 'minorconsent'

IGNORE = shutil.ignore_patterns(
    '.git', '.venv', 'venv', 'var', 'build', 'dist', '*.egg-info',
    '__pycache__', '*.pyc', 'tests', '.pytest_cache', '.hypothesis',
    'test-artifacts', 'node_modules')


def shipped_data_files():
    """Non-Python files under the package that an install must carry."""
    files = set()
    for path in PACKAGE.rglob('*'):   # follows the static/workflows symlinks
        if not path.is_file() or path.suffix in ('.py', '.pyc'):
            continue
        relative = path.relative_to(PROJECT).as_posix()
        if '__pycache__' in relative:
            continue
        files.add(relative)
    return files


@pytest.fixture(scope='module')
def wheel(tmp_path_factory):
    work = tmp_path_factory.mktemp('packaging')
    source = work / 'src'
    shutil.copytree(PROJECT, source, symlinks=True, ignore=IGNORE)
    dist = work / 'dist'
    result = subprocess.run(
        [sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-cache-dir',
         '-w', str(dist), str(source)],
        cwd=work, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    wheels = list(dist.glob('minorconsent-*.whl'))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_contains_static_workflows_and_templates(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for required in ('minorconsent/static/css/minorconsent.css',
                     'minorconsent/workflows/README.md',
                     'minorconsent/site/templates/layout.pt',
                     'minorconsent/site/templates/layout.jinja2',
                     'minorconsent/accounts/templates/login.jinja2'):
        assert required in names, required
    # Every template, stylesheet and workflow file in the tree ships.
    expected = shipped_data_files()
    assert any(name.endswith('.pt') for name in expected)
    assert expected <= names, sorted(expected - names)
    # And every module.
    modules = {p.relative_to(PROJECT).as_posix() for p in PACKAGE.rglob('*.py')
               if '__pycache__' not in p.parts}
    assert modules <= names, sorted(modules - names)


def test_wheel_declares_the_console_scripts(wheel):
    with zipfile.ZipFile(wheel) as archive:
        entry_points = next(archive.read(name).decode()
                            for name in archive.namelist()
                            if name.endswith('.dist-info/entry_points.txt'))
    for line in ('minorconsent-init = minorconsent.scripts.init:main',
                 'minorconsent-seed = minorconsent.scripts.seed:main',
                 'minorconsent-evolve = minorconsent.scripts.evolve:main',
                 'main = minorconsent:main'):
        assert line in entry_points, line


SNIPPET = r'''
import importlib.resources, json, sys
import minorconsent
from pyramid.request import Request

app = minorconsent.main({}, **{'zodbconn.uri': 'memory://', 'zodbconn.uri.audit': 'memory://',
                               'minorconsent.password_profile': 'cheapest'})
result = {'file': minorconsent.__file__, 'status': {}}
for path in ('/static/css/minorconsent.css', '/login'):
    response = Request.blank(path).get_response(app)
    result['status'][path] = response.status_code
    result.setdefault('bodies', {})[path] = response.text[:2000]
workflows = importlib.resources.files('minorconsent') / 'workflows'
result['workflows_is_dir'] = workflows.is_dir()
result['workflows_readme'] = (workflows / 'README.md').is_file()
print('RESULT ' + json.dumps(result))
'''


def test_installed_wheel_serves_static_and_login_and_has_workflows(wheel, tmp_path):
    venv = tmp_path / 'venv'
    subprocess.run([sys.executable, '-m', 'venv', str(venv)], check=True,
                   cwd=tmp_path, timeout=300)
    python = venv / 'bin' / 'python'
    env = {key: value for key, value in os.environ.items()
           if key not in ('PYTHONPATH', 'PYTHONHOME', 'VIRTUAL_ENV')}
    install = subprocess.run(
        [str(python), '-m', 'pip', 'install', str(wheel)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert install.returncode == 0, install.stdout + install.stderr

    script = tmp_path / 'check.py'
    script.write_text(SNIPPET)
    result = subprocess.run([str(python), '-I', str(script)], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    line = next(l for l in result.stdout.splitlines() if l.startswith('RESULT '))
    found = json.loads(line[len('RESULT '):])

    # The installed copy, not the source tree, was imported.
    assert Path(found['file']).resolve().is_relative_to(venv.resolve())
    assert str(PROJECT) not in found['file']
    assert found['status'] == {'/static/css/minorconsent.css': 200, '/login': 200}, \
        found['bodies']
    css = (PACKAGE / 'static' / 'css' / 'minorconsent.css').read_text()
    assert found['bodies']['/static/css/minorconsent.css'] == css[:2000]
    assert 'password' in found['bodies']['/login'].lower()
    assert found['workflows_is_dir']
    assert found['workflows_readme']

    # The console scripts were installed into the new environment too.
    for name in ('minorconsent-init', 'minorconsent-seed', 'minorconsent-evolve'):
        help_run = subprocess.run([str(venv / 'bin' / name), '--help'],
                                  cwd=tmp_path, env=env, capture_output=True,
                                  text=True, timeout=120)
        assert help_run.returncode == 0, help_run.stderr
