"""The console scripts are installed and start."""
import subprocess
import sys
from pathlib import Path

import pytest

from scripthelpers import make_site, open_db

BIN = Path(sys.executable).parent


@pytest.mark.parametrize('name', ['minorconsent-init', 'minorconsent-seed',
                                  'minorconsent-evolve', 'minorconsent-migrate',
                                  'minorconsent-audit', 'minorconsent-retention',
                                  'minorconsent-mail', 'minorconsent-daily'])
def test_console_script_help_exits_0(name, tmp_path):
    script = BIN / name
    assert script.exists(), '%s is not installed in %s' % (name, BIN)
    result = subprocess.run([str(script), '--help'], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('usage: %s' % name)
    assert 'config_uri' in result.stdout


def test_seed_runs_as_a_subprocess(tmp_path):
    """The installed seed script works end to end in its own process."""
    site = make_site(tmp_path / 'site')
    result = subprocess.run([str(BIN / 'minorconsent-seed'), site.ini,
                             '--clients', '2', '--quiet'],
                            cwd=tmp_path, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert 'admin@demo.test' in result.stdout
    with open_db(site) as (root, clinic):
        assert clinic['users'].find_by_email('teen@demo.test') is not None
