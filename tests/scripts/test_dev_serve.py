"""``dev.py serve [--port N]``: one port for the server, the links in mail
and the seed's links, and no pkg_resources warning on every start.

The plan is tested without starting a server: ``ServePlan`` says which
config file every program reads, and that file is read here as Pyramid
and waitress read it (issue 16, item 6).
"""
import importlib.util
import shutil
import os
import subprocess
import sys
from pathlib import Path

import plaster
import pytest
from pyramid.paster import get_appsettings

from minorconsent.scripts import seed

from scripthelpers import run

REPO = Path(__file__).resolve().parents[2]


def load_dev():
    spec = importlib.util.spec_from_file_location('dev_script', REPO / 'dev.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dev = load_dev()


def development_copy(directory, port=None):
    """development.ini copied to ``directory`` (its var/ there), with its
    own port changed to ``port`` where one is given."""
    directory.mkdir(parents=True, exist_ok=True)
    ini = directory / 'development.ini'
    text = (REPO / 'development.ini').read_text()
    if port is not None:
        assert '\nhttp_port = 6543\n' in text
        text = text.replace('\nhttp_port = 6543\n', '\nhttp_port = %d\n' % port)
    ini.write_text(text)
    (directory / 'var').mkdir(exist_ok=True)
    return ini


def served(ini):
    """``(listen, public_url)`` as pserve and the app read ``ini``."""
    server = plaster.get_loader(str(ini), protocols=['wsgi']).get_settings('server:main')
    return server['listen'], get_appsettings(str(ini), name='main')['minorconsent.public_url']


def test_development_ini_names_its_port_once_for_the_server_and_the_links():
    plan = dev.ServePlan()
    assert plan.ini == REPO / 'development.ini' and plan.port == 6543
    assert served(plan.ini) == ('127.0.0.1:6543', 'http://127.0.0.1:6543')
    assert (plan.listen, plan.public_url) == served(plan.ini)


def test_without_port_the_port_in_development_ini_is_used_everywhere(tmp_path):
    ini = development_copy(tmp_path, port=6611)
    plan = dev.ServePlan(ini=ini)
    assert plan.port == 6611
    assert plan.write() == ini              # no copy: development.ini itself
    assert served(ini) == ('127.0.0.1:6611', 'http://127.0.0.1:6611')
    assert plan.pserve()[1:] == [str(ini)]
    assert plan.script('minorconsent-seed')[-1] == str(ini)
    assert 'Serving' not in plan.listen and plan.listen.endswith(':6611')


def test_port_option_makes_the_server_public_url_and_seed_links_use_it(tmp_path):
    ini = development_copy(tmp_path, port=6611)
    plan = dev.ServePlan(7000, ini=ini)
    path = plan.write()
    assert path != ini and path.parent == tmp_path / 'var'
    assert plan.pserve()[1:] == [str(path)]
    assert plan.script('minorconsent-seed')[-1] == str(path)
    assert served(path) == ('127.0.0.1:7000', 'http://127.0.0.1:7000')
    assert (plan.listen, plan.public_url) == ('127.0.0.1:7000', 'http://127.0.0.1:7000')
    # The copy reads and writes this checkout's var/, as development.ini does.
    settings = get_appsettings(str(path), name='main')
    assert settings['zodbconn.uri'] == get_appsettings(str(ini), name='main')['zodbconn.uri']
    assert settings['zodbconn.uri'].startswith('file://%s/var/Data.fs' % tmp_path)
    # The seed's invitation links (and the mails') lead to the port served.
    (tmp_path / 'var' / 'mail').mkdir()
    code, out, _ = run(seed, path, '--quiet', '--clients', '0')
    assert code == 0
    links = [line.split()[-1] for line in out.splitlines() if '/invite/' in line]
    assert links and all(link.startswith('http://127.0.0.1:7000/invite/') for link in links)
    assert ':6611' not in out and ':6543' not in out


def test_serve_runs_everything_against_the_one_plan(tmp_path, monkeypatch):
    """``serve --port`` seeds, witnesses and serves with the port's config."""
    ini = development_copy(tmp_path)
    calls = []
    monkeypatch.setattr(dev, 'INI', ini)
    monkeypatch.setattr(dev, 'ensure_venv', lambda extras: None)
    monkeypatch.setattr(dev, 'run', lambda *cmd, **kw: calls.append(
        ([str(c) for c in cmd], kw.get('env'))))
    monkeypatch.setattr(dev, 'witness', lambda var, first, ini, env: calls.append(
        (['witness', str(ini)], env)))
    monkeypatch.setattr(dev.os, 'execve', lambda path, argv, env: calls.append(
        (list(argv), env)))
    dev.serve(['--port', '7000'])
    serve_ini = str(tmp_path / 'var' / 'serve.ini')
    assert [cmd[-1] for cmd, _ in calls] == [serve_ini] * 3
    assert calls[0][0][0].endswith('minorconsent-seed')
    assert calls[-1][0][0].endswith('pserve')
    assert all(dev.PKG_RESOURCES_WARNING in env['PYTHONWARNINGS'] for _, env in calls)
    calls.clear()
    dev.serve([])
    assert [cmd[-1] for cmd, _ in calls] == [str(ini)] * 3


@pytest.mark.parametrize('argv', [['--port', '0'], ['--port', 'seven'],
                                  ['--port', '65536'], ['--other']])
def test_a_port_that_is_not_one_is_refused(argv, capsys):
    with pytest.raises(SystemExit):
        dev.parse_serve_args(argv)
    assert dev.parse_serve_args(['--port', '7000']).port == 7000
    assert dev.parse_serve_args([]).port is None


def test_the_pkg_resources_warning_alone_is_silenced(tmp_path):
    """The filter names that one message: other warnings still show."""
    plan = dev.ServePlan(ini=development_copy(tmp_path), environ={'PYTHONWARNINGS': 'default'})
    assert plan.env['PYTHONWARNINGS'].split(',') == ['default', dev.PKG_RESOURCES_WARNING]
    program = ('import warnings\n'
               'warnings.warn("pkg_resources is deprecated as an API. See ...", UserWarning)\n'
               'warnings.warn("something else", UserWarning)\n')
    result = subprocess.run([sys.executable, '-c', program], env=plan.env,
                            capture_output=True, text=True, check=True)
    assert 'pkg_resources' not in result.stderr
    assert 'something else' in result.stderr
    # Without the filter (dev.py test runs the suite under it: leave it out).
    unfiltered = {k: v for k, v in os.environ.items() if k != 'PYTHONWARNINGS'}
    bare = subprocess.run([sys.executable, '-c', program], capture_output=True, text=True,
                          check=True, env=unfiltered)
    assert 'pkg_resources' in bare.stderr


def test_the_test_run_has_the_filter_too(monkeypatch):
    seen = {}
    monkeypatch.setattr(dev, 'ensure_venv', lambda extras: None)
    monkeypatch.setattr(dev, 'ensure_chromium', lambda: None)
    monkeypatch.setattr(dev.subprocess, 'run', lambda cmd, cwd, env: seen.update(env=env) or
                        subprocess.CompletedProcess(cmd, 0))
    with pytest.raises(SystemExit):
        dev.test(['-q'])
    assert dev.PKG_RESOURCES_WARNING in seen['env']['PYTHONWARNINGS'].split(',')


def test_the_scripts_print_no_pkg_resources_warning_with_the_plan_s_environment(tmp_path):
    plan = dev.ServePlan(ini=development_copy(tmp_path))
    script = shutil.which('minorconsent-evolve', path=str(Path(sys.executable).parent))
    result = subprocess.run([script, '--help'], env=plan.env, capture_output=True, text=True)
    assert result.returncode == 0
    assert 'pkg_resources' not in result.stderr, result.stderr
