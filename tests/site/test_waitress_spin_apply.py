"""The waitress spin fix in process (issue 20, item 3;
minorconsent/site/waitress_spin.py): the version guard, idempotence, the
paste runner and the ini files that use it."""
import configparser
import importlib.metadata

import pytest
import waitress
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer

from minorconsent.site import waitress_spin
from waitress_harness import ROOT


# --------------------------------------------------------------------------
# In process: the guard, idempotence, the paste runner

@pytest.fixture
def spin(monkeypatch):
    monkeypatch.setattr(BaseWSGIServer, 'channel_class', BaseWSGIServer.channel_class)
    waitress_spin.remove()
    return waitress_spin


def test_apply_is_idempotent_and_removable(spin):
    assert spin.waitress_version() in spin.WRITTEN_FOR
    assert spin.apply() and spin.apply()
    assert BaseWSGIServer.channel_class is spin.SpinFreeChannel
    spin.remove()
    assert not spin.applied()


def test_other_waitress_version_warns_and_is_left_alone(spin, monkeypatch):
    monkeypatch.setattr(spin, 'waitress_version', lambda: '3.1.0')
    with pytest.warns(RuntimeWarning, match='waitress 3.1.0 is not 3.0.2'):
        assert spin.apply() is False
    assert BaseWSGIServer.channel_class is HTTPChannel


def test_paste_runner_applies_then_runs_waitress(spin, monkeypatch):
    calls = []
    monkeypatch.setattr(waitress, 'serve',
                        lambda app, **kw: calls.append((app, kw, spin.applied())))
    runner = next(e for e in importlib.metadata.entry_points(group='paste.server_runner')
                  if e.name == 'waitress' and e.value.startswith('minorconsent.')).load()
    assert runner is spin.serve_paste
    assert runner('the app', {}, listen='127.0.0.1:0', threads='8') == 0
    assert calls == [('the app', {'listen': '127.0.0.1:0', 'threads': '8'}, True)]


@pytest.mark.parametrize('ini', ['development.ini', 'production.ini',
                                 'production-postgres.ini'])
def test_ini_files_serve_with_the_fix(ini):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / ini)
    assert parser['server:main']['use'] == 'egg:minorconsent#waitress'
