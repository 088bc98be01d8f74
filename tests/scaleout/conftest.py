"""Fixtures for the scale-out tests: a real PostgreSQL server and real app
processes (the machinery is in ``scaleout_support.py``).

* ``postgres`` (session): Debian's PostgreSQL, installed with apt-get when
  missing (as root; ``apt-get update`` only if the first install fails),
  with a scratch cluster in a temporary directory on a free loopback port,
  run as the ``postgres`` user (PostgreSQL refuses to run as root) and
  stopped afterwards.  Password authentication (scram-sha-256) is on, as in
  production, so the URIs the app uses must carry the password.  The app's
  role owns its two databases and is *not* a superuser: RelStorage creating
  its schema on first open with only those rights is part of what is
  tested.  A missing or broken PostgreSQL FAILS the tests; it never skips.
* ``deployment`` (session): two configuration files derived from
  ``production-postgres.ini`` (its URIs, with host, port, password and
  blob cache directory replaced), one in the zodburi URI form and one in
  the ZConfig form, seeded once with ``minorconsent-seed``; and
  ``start_app(config)`` to run waitress (``pserve``) on one as a real
  subprocess on a free port; every process is stopped at the end.
"""
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from scaleout_support import BIN, postgres_cluster, run_script, script_env, wait_ready, write_config


@pytest.fixture(scope='session')
def postgres():
    with postgres_cluster() as server:
        yield server


@pytest.fixture(scope='session')
def deployment(postgres):
    """Two app configurations (URI and ZConfig form) over one seeded
    PostgreSQL, and ``start_app``/``stop_app`` for waitress processes."""
    where = Path(tempfile.mkdtemp(prefix='minorconsent-scaleout-'))
    (where / 'mail').mkdir()
    processes = []

    def start_app(config):
        with open(config.log, 'ab') as log:
            process = subprocess.Popen([str(BIN / 'pserve'), str(config.path)],
                                       stdout=log, stderr=subprocess.STDOUT,
                                       env=script_env(), cwd=where)
        processes.append(process)
        process.config = config
        return process

    def stop_app(process, timeout=20):
        """SIGTERM (the audit recorder seals what it buffered), then wait."""
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                pytest.fail('%s ignored SIGTERM for %s s' % (process.config.name, timeout))

    try:
        one = write_config(postgres, where, 'one', form='uri')
        two = write_config(postgres, where, 'two', form='zconfig')
        seeded = run_script('minorconsent-seed', one.path, '--clients', '0', '--quiet')
        yield SimpleNamespace(one=one, two=two, where=where, seed_output=seeded,
                              start_app=start_app, stop_app=stop_app,
                              wait_ready=wait_ready, postgres=postgres)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        shutil.rmtree(where, ignore_errors=True)
