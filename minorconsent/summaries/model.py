"""Progress on goals and parent progress summaries.

A summary copies, when it is written, the parent-facing title of each goal
and its current rating, so what guardians read never changes under them and
never includes the clinical wording.  It runs under the parent-summary
workflow.  A guardian holds the guardian role on a summary only while
``clients.family`` gives them a scope: entitled to the child (legal
authority, no restriction, child a minor) and either a consent to treatment
they signed is active, or the client, consenting alone, signed a live
release naming them.  The definition's permission map cannot widen this:
it is computed here, in code, from ``FamilyAccess``.
"""
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timezone

from persistent import Persistent
from zc.queue import Queue

from minorconsent.audit.recorder import note
from minorconsent.clients.family import FULL_SCOPE, family_access
from minorconsent.clients.revision import StaleEdit, bump, check_revision, conflict_message
from minorconsent.site.clock import utcnow
from minorconsent.workflow.engine import Workflowed, definition_of

#: FHIR R4 Goal.achievementStatus, in words a parent understands.
ACHIEVEMENT = (
    ('in-progress', 'In progress'), ('improving', 'Improving'), ('worsening', 'Harder lately'),
    ('no-change', 'No change'), ('achieved', 'Achieved'), ('sustaining', 'Keeping it up'),
    ('not-achieved', 'Not achieved'), ('no-progress', 'No progress yet'),
    ('not-attainable', 'Not attainable for now'),
)
ACHIEVEMENT_TITLES = dict(ACHIEVEMENT)

#: The state in which guardians read a summary (``parentview`` lists no
#: other), and where each family role may read or act on one at all
#: (``config.declare_family_states``): the client also in their review.
PUBLISHED = 'published'
FAMILY_STATES = {'guardian': (PUBLISHED,), 'adolescent': ('minor_review', PUBLISHED)}


@dataclass(frozen=True)
class ProgressEntry:
    day: date
    rating: str               # an ACHIEVEMENT code
    parent_note: str          # short, written for guardians
    author_id: str
    #: When it was recorded; also keeps two otherwise equal entries distinct
    #: (the progress queue merges concurrent appends by identity of value).
    recorded: datetime = None
    #: A correction names the entry it corrects (its ``number``) and why;
    #: the original stays in the queue, so its history is never lost
    #: (``summaries.progress``).  Entries stored before corrections existed
    #: unpickle without these keys and read the class defaults.
    corrects: int = None
    reason: str = ''


def progress_of(goal):
    """The goal's progress history, created lazily: a ``zc.queue.Queue``
    of ``ProgressEntry``s in the order they were recorded.

    Two therapists recording progress on one goal at once both append;
    the queue's conflict resolution merges the two appends.  A BTree keyed
    by a counter or by time (the earlier designs) conflicted on every such
    pair, because both inserts land at the same end of the same bucket, and
    after the retries the second person got an error page.
    """
    history = getattr(goal, 'progress', None)
    if history is None:
        goal.progress = history = Queue()
    elif not isinstance(history, Queue):      # an IOBTree from before the change
        queue = Queue()
        for entry in history.values():
            queue.put(entry)
        goal.progress = history = queue
    return history


def add_progress(goal, day, rating, parent_note, author_id):
    if rating not in ACHIEVEMENT_TITLES:
        raise ValueError('Unknown rating %r' % rating)
    progress_of(goal).put(ProgressEntry(day, rating, parent_note, author_id, utcnow()))


def progress_log(goal):
    """Everything recorded on the goal, corrections included, in the order
    it was recorded.  An entry's ``number`` is its place here counted from
    1: the log only grows, so a number never changes."""
    history = getattr(goal, 'progress', None)
    if history is None:
        return []
    return list(history) if isinstance(history, Queue) else list(history.values())


def numbered_entries(goal):
    """``[(number, entry as corrected, original, corrections)]``, oldest
    first: each recorded entry with its latest correction applied (the day,
    the rating, the note; who recorded it and when stay the original's)."""
    log = progress_log(goal)
    fixes = {}
    for entry in log:
        if entry.corrects is not None:
            fixes.setdefault(entry.corrects, []).append(entry)
    found = []
    for number, entry in enumerate(log, 1):
        if entry.corrects is not None:
            continue
        corrections = tuple(fixes.get(number, ()))
        current = entry
        if corrections:
            last = corrections[-1]
            current = replace(entry, day=last.day, rating=last.rating,
                              parent_note=last.parent_note)
        found.append((number, current, entry, corrections))
    return found


def progress_entries(goal):
    """The goal's progress as corrected, oldest recorded first."""
    return [current for _, current, _, _ in numbered_entries(goal)]


def shared_entries(goal):
    """What a summary written now shares of the goal's progress: each
    entry as corrected, ``(number, day ISO, rating code)``, by day."""
    return tuple(sorted(((number, entry.day.isoformat(), entry.rating)
                         for number, entry, _, _ in numbered_entries(goal)),
                        key=lambda e: (e[1], e[0])))


def latest_rating(goal):
    entries = progress_entries(goal)
    return entries[-1] if entries else None


@dataclass(frozen=True)
class GoalLine:
    """One goal as a summary shows it, frozen when the summary is written:
    what guardians read never changes under them when the goal is edited
    later, and never includes the clinical wording.

    ``description`` and ``note`` came later: lines stored before them are
    unpickled without those keys, and read the class attributes (the
    defaults below) instead, so old summaries still load.
    """
    goal_id: str
    title: str                # the goal's parent-facing title at writing time
    rating: str               # ACHIEVEMENT code, or '' when not rated
    description: str = ''     # the goal's parent-facing description at writing time
    note: str = ''            # the latest parent note since the previous summary
    #: The goal's progress entries as corrected at writing time:
    #: ``((number, day ISO, rating code), ...)`` by day.  Guardians' charts
    #: plot these once the summary is published (lines written before
    #: this field have none and plot at the publishing date).
    entries: tuple = ()


def entry_time(entry):
    """When a progress entry was recorded (its day, for entries from before
    ``recorded`` existed)."""
    if entry.recorded is not None:
        return entry.recorded
    return datetime.combine(entry.day, time.min, timezone.utc)


def ever_published(summary):
    return any(e.to_state == 'published' for e in summary.history.steps())


def previous_summary_time(client, before=None):
    """When the client's latest summary that reached guardians (published,
    perhaps withdrawn since) was written, or None.

    A goal line's note is the newest parent note given after that moment:
    notes the guardians may not have read in an earlier summary.  Drafts
    that were never published do not count, so a note is not lost because
    an abandoned draft was written after it.
    """
    if 'summaries' not in client:
        return None
    times = [s.created for s in client['summaries'].values()
             if ever_published(s) and (before is None or s.created < before)]
    return max(times) if times else None


def latest_parent_note(goal, since=None):
    """The newest non-empty parent note of ``goal`` recorded after ``since``."""
    for entry in reversed(progress_entries(goal)):
        if since is not None and entry_time(entry) <= since:
            break
        if entry.parent_note:
            return entry.parent_note
    return ''


class Summary(Workflowed, Persistent):
    """A periodic summary for guardians: their text plus goal ratings."""

    review_comment = ''       # the adolescent's comment: for the therapist only
    review_agreed = False     # the adolescent agreed to share it
    #: The ``revision`` the adolescent agreed to: an edit after their
    #: agreement is text they never saw (``minor_agreed_if_reviewed``).
    review_agreed_revision = None
    #: The withdrawn summary this one corrects (its id), or None.
    supersedes = None
    #: Edits of the draft that landed; the edit form's version token
    #: (why a counter and not ``_p_serial``: ``minorconsent.clients.revision``;
    #: here also because a workflow step or the teen's review writes the
    #: summary without changing anything the edit form shows).
    revision = 0

    #: The only state in which the text and ratings may change.  In client
    #: review the adolescent is reading (and may agree to) this very text:
    #: changing it then would publish words they never saw.
    EDITABLE_STATES = ('draft',)

    def __init__(self, period, parent_text, goal_lines, author_id):
        self.period = period
        self.parent_text = parent_text
        self.goal_lines = tuple(goal_lines)
        self.author_id = author_id
        self.created = utcnow()

    def workflow_client(self):
        return self.__parent__.__parent__

    def ratings(self):
        """``{goal id: rating code or ''}`` of the summary's goal lines."""
        return {line.goal_id: line.rating for line in self.goal_lines}

    def same_as(self, period, parent_text, ratings):
        current = self.ratings()
        return (self.period == period and self.parent_text == parent_text
                and all(current.get(gid) == code for gid, code in ratings.items()))

    def edit(self, revision, period, parent_text, ratings, actor_id=None):
        """The staff edit rule of a summary draft: its period, the text
        guardians will read, and the rating of each goal line.

        Raises ``StaleEdit`` and changes nothing when the summary is no
        longer a draft, or when the form was built from another revision
        (unless it already holds the stored values: a double-clicked
        *Save*).  ``ratings`` maps goal ids of the summary's lines to an
        ``ACHIEVEMENT`` code or '' (not rated); the line titles stay as
        written (the parent-facing title at writing time).  Returns the
        names of the parts that changed.
        """
        if self.state not in self.EDITABLE_STATES:
            raise StaleEdit(
                'This summary is no longer a draft: it is now "%s", and cannot be '
                'changed. Here is the current version; your text is below so you can '
                'copy it.' % definition_of(self).state(self.state).title,
                getattr(self, 'revision', 0))
        lines = self.ratings()
        for gid, code in ratings.items():
            if gid not in lines:
                raise ValueError('Goal %r is not in this summary' % gid)
            if code and code not in ACHIEVEMENT_TITLES:
                raise ValueError('Unknown rating %r' % code)
        check_revision(self, revision, conflict_message('summary'),
                       unchanged=self.same_as(period, parent_text, ratings))
        changed = []
        if self.period != period:
            self.period = period
            changed.append('period')
        if self.parent_text != parent_text:
            self.parent_text = parent_text
            changed.append('text')
        new_lines = tuple(replace(line, rating=ratings.get(line.goal_id, line.rating))
                          for line in self.goal_lines)
        if new_lines != self.goal_lines:
            self.goal_lines = new_lines
            changed.append('ratings')
        if changed:
            bump(self)
            note(self, 'summary.edit', actor=actor_id, detail='revision %d: %s' % (
                self.revision, ', '.join(changed)))
        return changed

    def was_reviewed(self):
        """Has this summary ever been in the adolescent's review?"""
        return any(e.to_state == 'minor_review' for e in self.history.steps())

    def review_agreed_now(self):
        """Did the adolescent agree to exactly the text as it is now?"""
        return bool(self.review_agreed) and self.review_agreed_revision == self.revision

    def workflow_local_roles(self):
        client = self.workflow_client()
        # Guardians with any access (their own consent, or a release from a
        # client who consents alone).  What of a summary they then see is
        # the parent view's decision (``guardian_scope``): goal ratings
        # only, or the text too; its printable page and PDF follow it.
        return client.local_roles_for_document(lambda gid: consent_active_for(client, gid))


def consent_active_for(client, guardian_id):
    """May ``guardian_id`` read ``client``'s published summaries?

    Yes when they signed a consent to treatment that is active now; or,
    where the client consents on their own, when the client signed a live
    release naming this guardian (guardian access is then whatever the
    client authorizes: ``guardian_scope``).
    """
    return bool(guardian_scope(client, guardian_id))


def guardian_scope(client, guardian_id, today=None):
    """The parts of the parent view this guardian may have
    (``FamilyAccess.scope_of``): ``FULL_SCOPE`` under their own active
    consent, the items of the client's live releases naming them where the
    client consents alone, else nothing."""
    return family_access(client, today).scope_of(guardian_id)
