"""What time alone makes due: the rooms' daily tasks, each done once a day.

A room registers a task with ``config.add_daily_task(name, fn, order)``;
``minorconsent-daily`` (``scripts/daily.py``) runs them, lowest ``order``
first, as of one day.  ``fn(run)`` gets a ``DailyRun`` and returns a short
report (a dict of counts) for the log and the audit entry.

Once a day, whatever happens:

* each task runs in its own transaction, and the clinic's ``daily_done``
  record of ``(day, task)`` is written in that transaction, so a task
  whose transaction committed is never run again for that day, and one
  that failed leaves no record and runs again at the next try;
* two runs at once (two hosts' timers, a person running it by hand) both
  write that record: ZODB lets one commit and raises ``ConflictError`` in
  the other, which starts over, finds the record and skips the task.
  Everything a task changes (a reminder's count, an agreement's state)
  and everything it mails (the mail queue joins the transaction) goes
  with its commit or not at all;
* a task that mails nothing in quiet hours (``run.quiet``) says so with
  ``run.postpone()``: no record is written, and the next run outside
  quiet hours (the timer runs hourly) does it.

Who runs it: ``minorconsent-daily`` from a timer where the database is
shared (RelStorage), or, on the embedded FileStorage (which one process
holds locked), the server itself: ``minorconsent.daily_interval_minutes``
starts a thread that runs the tasks that often (``start_in_server``).
Several servers doing so is safe for the reasons above.

A task walks the clinic's indexes, not every client; where it must load
many objects it calls ``run.tick()`` every item, which lets ZODB drop
unmodified objects from memory (bounded memory on a 50,000-client clinic).
"""
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, time, timezone

from BTrees.OOBTree import OOBTree
from pyramid.scripting import prepare
from ZODB.POSException import ConflictError

from .clock import utcnow
from .dates import clinic_zone
from .evolve import pending_steps

log = logging.getLogger(__name__)

#: Registry key: ``[(order, name, fn), ...]``.
TASKS_KEY = 'minorconsent.daily_tasks'
#: How many tries a task gets when another run conflicts with it.
ATTEMPTS = 5
#: ``tick()`` lets the connection shed unmodified objects this often.
TICK_EVERY = 1000


class Postponed(Exception):
    """Raised by ``DailyRun.postpone``: do this task at a later run today."""


@dataclass
class DailyRun:
    """What a task knows of the run: the clinic, the request a script
    opens (for ``send`` and ``public_url``: links come from configuration),
    and the moment the run stands for."""
    clinic: object
    request: object
    now: datetime                 # aware, UTC
    registry: object = None
    _ticks: int = field(default=0, repr=False)

    @property
    def today(self):
        """The day on the clinic's clock."""
        return self.now.astimezone(clinic_zone(self.clinic.settings)).date()

    @property
    def quiet(self):
        """Inside the clinic's quiet hours (no reminders are mailed)."""
        local = self.now.astimezone(clinic_zone(self.clinic.settings))
        return self.clinic.settings.in_quiet_hours(local.hour)

    def postpone(self):
        raise Postponed()

    def tick(self):
        self._ticks += 1
        if self._ticks % TICK_EVERY == 0:
            jar = getattr(self.clinic, '_p_jar', None)
            if jar is not None:
                jar.cacheGC()


def add_daily_task(config, name, fn, order=100):
    """``config.add_daily_task(name, fn, order)``: ``fn(run)`` is done once
    a day by ``minorconsent-daily``."""
    def register():
        tasks = config.registry.setdefault(TASKS_KEY, [])
        tasks.append((order, name, fn))
        tasks.sort(key=lambda t: (t[0], t[1]))
    config.action(('minorconsent.daily_task', name), register)


def daily_tasks(registry):
    return [(name, fn) for _order, name, fn in registry.get(TASKS_KEY, [])]


def done_record(clinic):
    """``clinic.daily_done``: ``(day iso, task) -> report``, made on first use."""
    record = getattr(clinic, 'daily_done', None)
    if record is None:
        record = clinic.daily_done = OOBTree()
    return record


def as_of(day, settings, hour=12):
    """The UTC moment of ``hour`` o'clock on ``day`` on the clinic's clock
    (``--date``: a day's run stands for its noon, outside quiet hours
    unless the clinic made noon quiet)."""
    local = datetime.combine(day, time(hour), tzinfo=clinic_zone(settings))
    return local.astimezone(timezone.utc)


@dataclass(frozen=True)
class TaskOutcome:
    name: str
    status: str           # 'done', 'done before', 'postponed', 'failed', 'needs evolve'
    report: dict


def run_daily(request, now, only=None):
    """Run every registered task not yet done for the clinic's day of
    ``now``; each in its own transaction (``request.tm``).  Returns one
    ``TaskOutcome`` per task.  A task that raises is logged, counted as
    failed and tried again at the next run; the others still run."""
    registry = request.registry
    tasks = [(name, fn) for name, fn in daily_tasks(registry) if not only or name in only]
    pending = _pending_evolve(request)
    if pending:
        # The tasks read indexes the schema steps build (the period ends,
        # the clients' birthdays): on a database not yet evolved they
        # would find nothing and do nothing, silently.  Nothing is
        # recorded, so the day's tasks run once it is evolved.
        log.error('daily tasks not run: the database needs minorconsent-evolve (%s)',
                  ', '.join(pending))
        return [TaskOutcome(name, 'needs evolve', {'pending steps': len(pending)})
                for name, _ in tasks]
    return [_run_task(request, registry, name, fn, now) for name, fn in tasks]


def _pending_evolve(request):
    request.tm.begin()
    try:
        return [name for name, _ in pending_steps(request.clinic, request.registry)]
    finally:
        request.tm.abort()


def _run_task(request, registry, name, fn, now):
    tm = request.tm
    for attempt in range(ATTEMPTS):
        tm.begin()
        try:
            clinic = request.clinic
            run = DailyRun(clinic, request, now, registry)
            key = (run.today.isoformat(), name)
            done = done_record(clinic)
            if key in done:
                tm.abort()
                return TaskOutcome(name, 'done before', dict(done[key]))
            report = dict(fn(run) or {})
            done[key] = report
            tm.commit()
            return TaskOutcome(name, 'done', report)
        except Postponed:
            tm.abort()
            return TaskOutcome(name, 'postponed', {})
        except ConflictError:
            tm.abort()
            log.info('daily task %s conflicted with another run (try %d)', name, attempt + 1)
        except Exception:
            tm.abort()
            log.exception('daily task %s failed', name)
            return TaskOutcome(name, 'failed', {})
    return TaskOutcome(name, 'failed', {'conflicts': ATTEMPTS})


#: The ini setting that makes the server run the daily tasks itself.
IN_SERVER = 'minorconsent.daily_interval_minutes'
#: Seconds from the server's start to its first run.
FIRST_RUN_AFTER = 60


def start_in_server(registry):
    """Run the daily tasks every ``minorconsent.daily_interval_minutes``
    in a daemon thread of this process (unset or 0: never).  A task cut
    off when the process stops committed nothing, and runs next time."""
    minutes = float(registry.settings.get(IN_SERVER) or 0)
    if minutes <= 0:
        return None
    stop = threading.Event()

    def loop():
        # The first run soon after start (a server that was down catches
        # up), then one every interval.
        wait = min(FIRST_RUN_AFTER, minutes * 60)
        while not stop.wait(wait):
            run_in_server(registry)
            wait = minutes * 60
    thread = threading.Thread(target=loop, name='minorconsent-daily', daemon=True)
    thread.stop = stop
    thread.start()
    return thread


def run_in_server(registry):
    """One run in a request of its own, as the script makes one."""
    env = prepare(registry=registry)
    try:
        for outcome in run_daily(env['request'], utcnow()):
            if outcome.status == 'done':
                log.info('daily task %s done: %s', outcome.name, outcome.report)
    except Exception:
        log.exception('daily run failed')
    finally:
        env['closer']()


def includeme(config):
    config.add_directive('add_daily_task', add_daily_task)
