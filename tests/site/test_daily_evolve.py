"""The daily job waits for the schema: its tasks read indexes evolve steps
build (the period ends, the clients' birthdays), so on a database with a
step not yet run they would find nothing and do nothing without a word."""
from datetime import datetime, timezone

from pyramid.scripting import prepare

from minorconsent.site.daily import done_record, run_daily

NOON = datetime(2027, 3, 1, 12, 0, tzinfo=timezone.utc)


def test_no_task_runs_or_is_recorded_until_the_database_is_evolved(app, clinic):
    with clinic() as c:
        step = sorted(c._evolved)[-1]
        c._evolved.remove(step)
        before = len(done_record(c))
    env = prepare(registry=app.registry)
    try:
        outcomes = run_daily(env['request'], NOON)
        assert outcomes and {o.status for o in outcomes} == {'needs evolve'}
        with clinic() as c:
            assert len(done_record(c)) == before
            c._evolved.add(step)
        outcomes = run_daily(env['request'], NOON)
        assert 'needs evolve' not in {o.status for o in outcomes}
        assert {o.status for o in outcomes} <= {'done', 'done before', 'postponed'}
    finally:
        env['closer']()
