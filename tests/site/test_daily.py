"""The daily job's runner (site/daily.py): each task once per clinic day,
whatever happens: a second run, two runs at once, a task that fails or
waits out the quiet hours."""
import threading
from datetime import date, datetime, timezone

import pytest
from pyramid.scripting import prepare

from minorconsent.site.daily import IN_SERVER, TASKS_KEY, as_of, run_daily, start_in_server

NOON = datetime(2027, 3, 1, 12, 0, tzinfo=timezone.utc)
NIGHT = datetime(2027, 3, 1, 23, 30, tzinfo=timezone.utc)


@pytest.fixture
def tasks(app):
    """Replace the registered tasks with the test's own for its duration."""
    saved = app.registry.get(TASKS_KEY)
    app.registry[TASKS_KEY] = []

    def add(name, fn, order=100):
        app.registry[TASKS_KEY].append((order, name, fn))
        app.registry[TASKS_KEY].sort(key=lambda t: (t[0], t[1]))
    yield add
    app.registry[TASKS_KEY] = saved


@pytest.fixture
def request_of(app):
    closers = []

    def make():
        env = prepare(registry=app.registry)
        closers.append(env['closer'])
        return env['request']
    yield make
    for close in reversed(closers):
        close()


def count_on_clinic(run):
    """A task whose work is a write to the clinic, to count how often it ran."""
    run.clinic.settings.reminder_max = run.clinic.settings.reminder_max + 1
    return {'counted': 1}


def reminder_max(clinic):
    with clinic() as c:
        return c.settings.reminder_max


def test_a_task_runs_once_per_day_and_again_the_next_day(app, clinic, tasks, request_of):
    tasks('count', count_on_clinic)
    before = reminder_max(clinic)
    request = request_of()
    first = run_daily(request, NOON)
    again = run_daily(request, NOON.replace(hour=15))
    assert [(o.name, o.status, o.report) for o in first] == [('count', 'done', {'counted': 1})]
    assert [(o.name, o.status) for o in again] == [('count', 'done before')]
    assert reminder_max(clinic) == before + 1
    run_daily(request, NOON.replace(day=2))
    assert reminder_max(clinic) == before + 2


def test_tasks_run_in_their_order(app, tasks, request_of):
    seen = []
    tasks('late', lambda run: seen.append('late'), order=90)
    tasks('early', lambda run: seen.append('early'), order=10)
    run_daily(request_of(), NOON)
    assert seen == ['early', 'late']


def test_the_day_is_the_clinics_day(app, clinic, tasks, request_of):
    """23:30 UTC on 1 March is already 2 March in Auckland: a run then is
    that day's run; 12:00 UTC is 1:00 on 2 March there, the same day's;
    9:00 UTC is 22:00 on 1 March there, the day before's."""
    tasks('count', count_on_clinic)
    with clinic() as c:
        c.settings.time_zone = 'Pacific/Auckland'
        c.settings.quiet_hours_start = c.settings.quiet_hours_end = 0
    before = reminder_max(clinic)
    request = request_of()
    assert run_daily(request, NIGHT)[0].status == 'done'
    with clinic() as c:
        assert ('2027-03-02', 'count') in c.daily_done
    assert run_daily(request, NOON)[0].status == 'done before'
    assert run_daily(request, NOON.replace(hour=9))[0].status == 'done'
    with clinic() as c:
        assert ('2027-03-01', 'count') in c.daily_done
    assert reminder_max(clinic) == before + 2


def test_a_failed_task_leaves_no_record_and_the_others_still_run(app, clinic, tasks,
                                                                 request_of):
    calls = []

    def broken(run):
        calls.append(1)
        run.clinic.settings.reminder_max = 9      # never committed
        raise RuntimeError('disk full')
    tasks('broken', broken, order=1)
    tasks('count', count_on_clinic, order=2)
    before = reminder_max(clinic)
    request = request_of()
    outcomes = run_daily(request, NOON)
    assert [(o.name, o.status) for o in outcomes] == [('broken', 'failed'), ('count', 'done')]
    assert reminder_max(clinic) == before + 1            # broken's write was rolled back
    outcomes = run_daily(request, NOON)
    assert [(o.name, o.status) for o in outcomes] == [('broken', 'failed'),
                                                      ('count', 'done before')]
    assert len(calls) == 2                               # tried again at the next run


def test_a_postponed_task_runs_at_the_next_run_outside_quiet_hours(app, clinic, tasks,
                                                                   request_of):
    def mailing(run):
        if run.quiet:
            run.postpone()
        return count_on_clinic(run)
    tasks('mailing', mailing)
    with clinic() as c:
        c.settings.quiet_hours_start, c.settings.quiet_hours_end = 21, 8
    before = reminder_max(clinic)
    request = request_of()
    early = datetime(2027, 3, 1, 6, 0, tzinfo=timezone.utc)
    assert run_daily(request, early)[0].status == 'postponed'
    assert reminder_max(clinic) == before
    assert run_daily(request, NOON)[0].status == 'done'
    assert run_daily(request, NIGHT)[0].status == 'done before'
    assert reminder_max(clinic) == before + 1


def test_two_runs_at_once_do_the_task_once(app, clinic, tasks, request_of):
    """Two processes' timers fire together: both start the task, ZODB lets
    one commit, the other conflicts, starts over, finds the record."""
    inside = threading.Barrier(2, timeout=10)
    attempts = []

    def slow_count(run):
        attempts.append(threading.current_thread().name)
        if len(attempts) <= 2:
            inside.wait()            # both are inside the task before either commits
        return count_on_clinic(run)
    tasks('count', slow_count)
    before = reminder_max(clinic)
    results = {}

    def one_run(name):
        results[name] = run_daily(request_of(), NOON)
    threads = [threading.Thread(target=one_run, args=(name,), name=name)
               for name in ('host-a', 'host-b')]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    statuses = sorted(outcome.status for outcomes in results.values() for outcome in outcomes)
    assert statuses == ['done', 'done before']
    assert reminder_max(clinic) == before + 1
    assert len(attempts) == 2        # the loser found the record without running it again


def test_as_of_is_noon_on_the_clinics_clock(app, clinic):
    with clinic() as c:
        c.settings.time_zone = 'America/Chicago'
        moment = as_of(date(2027, 7, 4), c.settings)
    assert moment == datetime(2027, 7, 4, 17, 0, tzinfo=timezone.utc)


def test_the_server_runs_the_tasks_itself_when_configured(app, clinic, tasks):
    """On the embedded FileStorage no script may open the database while
    the server runs: ``minorconsent.daily_interval_minutes`` makes the
    server run the tasks in a thread of its own."""
    ran = threading.Event()

    def count_and_tell(run):
        report = count_on_clinic(run)
        ran.set()
        return report
    tasks('count', count_and_tell)
    before = reminder_max(clinic)
    assert start_in_server(app.registry) is None            # unset: never
    app.registry.settings[IN_SERVER] = '0.001'              # every 60 ms
    try:
        thread = start_in_server(app.registry)
        assert ran.wait(10)
        thread.stop.set()
        thread.join(10)
    finally:
        del app.registry.settings[IN_SERVER]
    assert reminder_max(clinic) == before + 1               # once, however often it ran
