"""The parent view: the only door from a child's record to a guardian.

Guardian-facing code (views, templates, emails, PDFs) receives these
frozen dataclasses, never a ``Client``.  Every field is copied here by
name; a field added to the client record reaches no guardian until it is
added to this file on purpose.

Who may see what is not decided here.  ``clients.family.FamilyAccess``
decides it, once per client and transaction: whether this guardian is
entitled to the child's page today, whether the client consents alone,
and this guardian's scope (goals, summaries: everything published under
their own consent, only what a live release of the client's names where
the client consents alone).  ``parent_view`` is the projection of that
answer onto what is published: the child's first (or preferred) name; the
agreements the guardian may read (none where the client consents alone);
within their scope, the published summaries and each goal's trend drawn
from them; the safety notices addressed to them (the disclosures room
picks those, and copies only the day and the words); and how to reach the
clinic.  A document is listed only while its workflow state lets this
person read it and a step, not its creation or a move, brought it there
(the same permission the page itself checks, asked again: belt and
braces).  The adolescent's own page (``teen_view``) and a family member's
view of one agreement (``agreement_view``) are built the same way.
"""
from dataclasses import dataclass, replace
from datetime import date, datetime

from minorconsent.agreements.model import FAMILY_STATES
from minorconsent.agreements.validity import readable_until, valid_from, valid_until
from minorconsent.clients.family import family_access
from minorconsent.disclosures import safety_notices as disclosed_notices
from minorconsent.disclosures.model import disclosures_of
from minorconsent.disclosures.releases import ITEM_TITLES
from minorconsent.site import find_clinic
from minorconsent.site.clock import utcnow
from minorconsent.summaries.model import ACHIEVEMENT_TITLES, PUBLISHED
from minorconsent.workflow.engine import definition_of, permits

from .chart import iso_day, trend_svg


@dataclass(frozen=True)
class AgreementLink:
    """An agreement as listed on a family page."""
    ref: str
    title: str
    state_title: str
    awaiting_me: bool         # my signature is wanted now
    valid_from: date = None   # its period (``agreements.validity``), None: no end
    valid_until: date = None
    readable_until: date = None   # a consent lapsed within the grace: reads until


@dataclass(frozen=True)
class ClinicContact:
    """How a family reaches the clinic: the settings' contact fields only."""
    name: str
    phone: str
    email: str
    hours: str
    crisis_line: str


def clinic_contact(settings):
    return ClinicContact(settings.name, settings.contact_phone, settings.contact_email,
                         settings.contact_hours, settings.crisis_line)


@dataclass(frozen=True)
class ParentChildView:
    """What one guardian may see of one child."""
    ref: str                  # the client id, for building URLs
    name: str                 # preferred or first name; never the surname
    agreements: tuple = ()    # AgreementLinks this guardian may read
    summaries: tuple = ()     # SummaryViews: published, within this guardian's scope
    goals: tuple = ()         # GoalTrends, from those published summaries only
    notices: tuple = ()       # SafetyNotices addressed to this guardian
    clinic: ClinicContact = None

    @property
    def awaiting_me(self):
        """An agreement about this child waits for this guardian's
        signature (the family list says so beside the child)."""
        return any(a.awaiting_me for a in self.agreements)


@dataclass(frozen=True)
class TeenView:
    """What an adolescent sees on their own page."""
    ref: str
    name: str
    therapists: tuple         # display names of their therapists
    agreements: tuple = ()    # AgreementLinks they may read
    summaries: tuple = ()     # SummaryViews: published, and those to review
    clinic: ClinicContact = None   # how to reach the clinic, and the crisis line
    adult: bool = False       # past the age of majority: their own consent
    consents_alone: bool = False   # a minor the law lets consent on their own


def safety_notices(client, guardian_id, principals):
    """``SafetyNotice``s: the disclosure room decides which, and copies
    only the day and the disclosed words."""
    return disclosed_notices(client, guardian_id, principals)


@dataclass(frozen=True)
class SharedView:
    """Something shared under a release the guardian signed."""
    day: date                 # the day it was shared
    recipient: str
    items: tuple              # in words (English msgids; the page translates)


def shared_under_my_releases(client, guardian_id):
    """Disclosures made under releases this guardian signed, newest first
    (never safety disclosures: those are the clinic's legal duty, and
    listing them could endanger the child)."""
    agreements = client['agreements'] if 'agreements' in client else {}
    found = []
    for disclosure in disclosures_of(client):
        if disclosure.reason != 'authorized':
            continue
        release = agreements.get(disclosure.release_ref)
        if release is None or guardian_id not in release.signatures:
            continue
        # The recipient as named in the release the guardian signed.
        found.append(SharedView(disclosure.told_on, release.terms.recipient,
                                tuple(ITEM_TITLES.get(i, i) for i in disclosure.items)))
    return tuple(sorted(found, key=lambda s: s.day, reverse=True))


def _child_name(client):
    return client.preferred_name or client.first_name


def agreement_links(client, user_id, principals, role='guardian'):
    """The agreements of ``client`` that these principals may read: only in
    a state the agreements room declares readable by ``role`` (belt and
    braces: the permission already says so), whatever a definition grants.
    The permission is the policy's own answer (``engine.permits``)."""
    if 'agreements' not in client:
        return ()
    settings, today = find_clinic(client).settings, date.today()
    links = []
    for agreement in sorted(client['agreements'].values(), key=lambda a: a.created):
        if agreement.state not in FAMILY_STATES.get(agreement.kind, {}).get(role, ()):
            continue
        # An agreement reaches a family state by a step (sent, signed,
        # declined ...), never by being created there or moved there.
        if not agreement.history.entered_by_step(agreement.state):
            continue
        if permits(agreement, principals, 'view-published'):
            links.append(AgreementLink(
                ref=agreement.__name__, title=agreement.title,
                state_title=definition_of(agreement).state(agreement.state).title,
                awaiting_me=permits(agreement, principals, 'sign')
                and user_id not in agreement.signatures,
                valid_from=valid_from(agreement), valid_until=valid_until(agreement),
                readable_until=readable_until(agreement, settings, today)))
    return tuple(links)


def parent_view(client, guardian_id, settings, today=None, principals=None, t=str,
                preview=None, on=iso_day):
    """The ``ParentChildView`` of ``client`` for ``guardian_id``, or None
    when that guardian is not entitled to see this child today.

    Where the client consents to their own care, a guardian sees only what
    the client's live releases to them authorize (goals, summaries): not
    the client's agreements (their own and the confidentiality agreement
    are the client's business now).  With nothing released there is no
    page at all (None: answered like a child who is not a client), except
    that safety notices addressed to this guardian are still shown, alone:
    telling a guardian of a serious risk is the clinic's legal duty and
    needs no permission from the client.  Without ``principals`` nothing
    that needs a permission check (agreements, summaries, notices) is
    known, so such a client gives None.

    ``preview`` (a ``Summary``, staff preview only) is included as if it
    were published today, so that a therapist sees the very page this
    guardian will see once it is; the caller checks the staff permission.
    """
    today = today or date.today()
    # Who may see what is decided once, in ``clients.family``; this is its
    # projection onto the published objects.
    access = family_access(client, today)
    if not access.entitled(guardian_id):
        return None
    # Under their own consent, everything published; where the client
    # consents alone, only what the client's release lets this guardian see.
    scope = access.scope_of(guardian_id)
    notices = safety_notices(client, guardian_id, principals) if principals else ()
    alone = access.consents_alone
    if alone and not scope and not notices:
        return None
    # The previewed summary counts wherever published ones count for them.
    summaries = summary_views(client, principals, preview=preview) \
        if principals and scope else ()
    return ParentChildView(
        ref=client.__name__, name=_child_name(client),
        agreements=agreement_links(client, guardian_id, principals)
        if principals and not alone else (),
        summaries=summaries if 'summaries' in scope else (),
        goals=goal_trends(summaries, t, on) if 'goals' in scope else (),
        notices=notices,
        clinic=clinic_contact(settings))


def family_views(clients, guardian_id, settings, today=None, principals=None):
    """Parent views of every child this guardian may see, by name."""
    views = []
    for client in clients.children_of(guardian_id):
        view = parent_view(client, guardian_id, settings, today, principals)
        if view is not None:
            views.append(view)
    return sorted(views, key=lambda v: v.name.casefold())


def teen_view(client, users, principals=None, settings=None):
    adult = settings is not None and not client.is_minor(settings)
    return TeenView(
        ref=client.__name__, name=_child_name(client),
        clinic=clinic_contact(settings) if settings is not None else None,
        adult=adult,
        consents_alone=settings is not None and not adult and client.may_self_consent(settings),
        therapists=tuple(users[t].display_name for t in client.therapist_ids
                         if t in users),
        agreements=agreement_links(client, client.self_account_id, principals, 'adolescent')
        if principals else (),
        summaries=(summary_views(client, principals, 'review') +
                   summary_views(client, principals)) if principals else ())


@dataclass(frozen=True)
class SignatureView:
    name: str                 # as the signer typed it
    authority: str
    time: datetime            # aware UTC; the page writes it on the clinic's clock
    #: Signed on paper in the office (staff recorded it): the day signed.
    paper_day: date = None


@dataclass(frozen=True)
class AgreementView:
    """What a family member sees of one agreement: its exact text, its
    state, and the signatures (names as typed, roles, times) — never the
    events' IP addresses, the clinic's comments or other agreements."""
    ref: str                  # the agreement id
    client_ref: str
    title: str
    state_title: str
    text: str
    text_sha256: str
    version: int
    signatures: tuple
    may_sign: bool
    signed_by_me: bool
    may_revoke: bool
    has_pdf: bool = False
    valid_from: date = None   # its period (``agreements.validity``)
    valid_until: date = None


def agreement_view(agreement, user_id, may_sign, may_revoke, state_title):
    return AgreementView(
        ref=agreement.__name__, client_ref=agreement.workflow_client().__name__,
        title=agreement.title, state_title=state_title, text=agreement.text,
        text_sha256=agreement.text_sha256, version=agreement.template_version,
        signatures=tuple(SignatureView(s.typed_name, s.authority, s.time,
                                       date.fromisoformat(s.paper_signed_on)
                                       if getattr(s, 'paper_signed_on', '') else None)
                         for s in agreement.signatures.values()),
        may_sign=may_sign and user_id not in agreement.signatures,
        signed_by_me=user_id in agreement.signatures, may_revoke=may_revoke,
        has_pdf=agreement.pdf is not None,
        valid_from=valid_from(agreement), valid_until=valid_until(agreement))


@dataclass(frozen=True)
class GoalRating:
    title: str
    rating: str               # in words, e.g. "Improving"
    code: str = ''            # the FHIR achievement code
    description: str = ''     # the goal's parent-facing description, as published
    note: str = ''            # the therapist's short note for guardians, as published
    #: The progress entries the summary carried, each at the date its rating
    #: was recorded: ``((entry number, date ISO, code, words), ...)``; empty
    #: for a line not rated, or written before summaries carried entries.
    history: tuple = ()


@dataclass(frozen=True)
class GoalTrend:
    """One goal's ratings across the published summaries, oldest first."""
    title: str
    current: str              # the latest rating, in words
    points: tuple             # ((date, code, words), ...)
    chart_svg: str            # server-rendered, no script
    description: str = ''     # as the latest published summary gave it
    note: str = ''            # the latest published summary's note on it


def goal_trends(summaries, t=str, on=iso_day):
    """Trends from published ``SummaryView``s (newest first, as listed);
    ``t`` translates the chart's words into the guardian's language.

    A point is a progress entry a published summary carried, at the date
    its rating was recorded; an entry several summaries carried counts
    once, as the newest of them gave it (a correction made in between).  A
    summary written before summaries carried entries gives one point, at
    its publishing date.  A point's day is ISO text (``chart.iso_day``),
    whether it came from an entry or a publishing date.  "Now" is the latest
    summary's rating."""
    series, latest = {}, {}
    for summary in reversed([s for s in summaries if s.published]):
        for goal in summary.goals:
            if not goal.code:
                continue
            points = series.setdefault(goal.title, {})
            if goal.history:
                for number, day, code, words in goal.history:
                    points[('entry', number)] = (day, code, words)
            else:
                points[('summary', summary.ref)] = (iso_day(summary.published), goal.code,
                                                    goal.rating)
            latest[goal.title] = goal
    trends = []
    for title, found in sorted(series.items()):
        points = tuple(sorted(found.values(), key=lambda p: p[0]))
        trends.append(GoalTrend(title, latest[title].rating, points,
                                trend_svg(title, points, t, on),
                                latest[title].description, latest[title].note))
    return tuple(trends)


@dataclass(frozen=True)
class SummaryView:
    """A published summary as a guardian reads it."""
    ref: str
    client_ref: str
    period: str
    text: str
    published: date          # the day it was shared (None: not yet)
    goals: tuple             # GoalRatings
    in_review: bool = False  # shown to the adolescent while they review
    #: It corrects an earlier update (withdrawn): only that fact, never the
    #: withdrawn text or which one it was.
    corrects: bool = False


def entry_points(line):
    """The progress entries a goal line carried, as plain values:
    ``(number, date ISO, code, words)`` (``GoalRating.history``)."""
    return tuple((number, day, code, ACHIEVEMENT_TITLES[code])
                 for number, day, code in getattr(line, 'entries', ())
                 if code in ACHIEVEMENT_TITLES)


def summary_view(summary):
    # The step that published it, never a later move to a new workflow version.
    published = [e.time for e in summary.history.steps() if e.to_state == 'published']
    return SummaryView(
        ref=summary.__name__, client_ref=summary.workflow_client().__name__,
        period=summary.period, text=summary.parent_text,
        published=published[-1].date() if published else None,
        goals=tuple(GoalRating(line.title, ACHIEVEMENT_TITLES.get(line.rating, 'Not rated yet'),
                               line.rating, line.description, line.note,
                               entry_points(line) if line.rating else ())
                    for line in summary.goal_lines),
        in_review=summary.state == 'minor_review',
        corrects=bool(summary.supersedes))


def summary_views(client, principals, permission='view-published', preview=None):
    """Summaries of ``client`` these principals may read, newest first.

    ``preview`` (staff preview only) joins them in the place it will take,
    as it will read once published now (dated today, UTC, like the
    publishing step's history entry)."""
    if 'summaries' not in client:
        return ()
    # Belt and braces: whatever the permission says (a definition's
    # permission map), a family reads a summary only once published, and reviews it
    # only in the client's review.
    states = {'view-published': (PUBLISHED,), 'review': ('minor_review',)}.get(permission, ())
    # ... and only once a step brought it there (never created there, nor
    # moved there by a new workflow version).
    found = [s for s in client['summaries'].values()
             if s is not preview and s.state in states
             and s.history.entered_by_step(s.state)
             and permits(s, principals, permission)]
    if preview is not None:
        found.append(preview)

    def view(summary):
        if summary is preview:
            return replace(summary_view(summary), in_review=False,
                           published=utcnow().date())
        return summary_view(summary)
    return tuple(view(s) for s in sorted(found, key=lambda s: s.created, reverse=True))
