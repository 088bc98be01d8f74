"""A migration is history, not an event of a document's life.

Publishing a new version of a workflow adds a "moved to version N" entry
to the history of every document it moves.  The dates anyone reads -- a
summary's "shared" date on the family page and in its PDF, the progress
chart, the day a release became active -- come from the step that
published or signed, never from the latest history entry.
"""
import re

from minorconsent.portal.parentview import parent_view
from support import ROLE_EMAILS, csrf_of, sign_in

from test_admin_views import BASE, edit_draft

RELEASE = '/workflows/release-of-information/'


def shared_dates(browser, demo):
    page = browser.get('/clients/%s/family' % demo.mateo).html.get_text(' ')
    # ISO, or written out in the reader's language ("December 6, 2026").
    return re.findall(r'shared (\d{4}-\d\d-\d\d|[A-Z][a-z]+ \d{1,2}, \d{4})',
                      ' '.join(page.split()))


def chart_dates(c, demo):
    principals = ('system.Everyone', 'system.Authenticated',
                  'user:' + demo.user_ids['guardian'])
    view = parent_view(c['clients'][demo.mateo], demo.user_ids['guardian'], c.settings,
                       principals=principals)
    return ([s.published for s in view.summaries],
            [tuple(p[0] for p in goal.points) for goal in view.goals])


def publish_a_new_version(app, base, change):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    page = edit_draft(admin, change, base=base).follow()
    admin.post(base + 'publish', {'csrf_token': csrf_of(page), 'comment': 'New wording'},
               status=302)


def test_publishing_a_summary_version_keeps_the_shared_dates(app, clinic, demo):
    guardian = sign_in(app, ROLE_EMAILS['guardian'])
    before = shared_dates(guardian, demo)
    with clinic() as c:
        views_before = chart_dates(c, demo)
    assert len(set(before)) >= 3, before          # months apart in the seed
    publish_a_new_version(app, BASE, lambda s: s.replace('title = "Withdrawn"',
                                                         'title = "Taken back"'))
    with clinic() as c:
        record = c['workflows']['parent-summary']
        assert record.current == 2 and record.migration.finished
        summary = next(s for s in c['clients'][demo.mateo]['summaries'].values()
                       if s.state == 'published')
        assert summary.history.latest().transition == 'migrate'   # it was moved
        assert chart_dates(c, demo) == views_before
    assert shared_dates(guardian, demo) == before


def test_publishing_a_release_version_keeps_the_day_it_became_active(app, clinic, demo):
    from minorconsent.disclosures.releases import active_since
    from dataclasses import replace
    from datetime import timedelta
    with clinic() as c:
        releases = [a for a in c['clients'][demo.mateo]['agreements'].values()
                    if a.kind == 'release' and a.state == 'active']
        assert releases
        for release in releases:     # signed a month ago (the seed signs today)
            entries = release.history._entries
            for key, entry in list(entries.items()):
                entries[key] = replace(entry, time=entry.time - timedelta(days=30))
        before = {r.__name__: active_since(r) for r in releases}
    publish_a_new_version(app, RELEASE, lambda s: s.replace('title = "Expired"',
                                                            'title = "Ended"'))
    with clinic() as c:
        for name, day in before.items():
            release = c['clients'][demo.mateo]['agreements'][name]
            assert release.history.latest().transition == 'migrate'
            assert active_since(release) == day


def test_history_steps_leave_out_the_moves():
    from datetime import datetime, timezone
    from minorconsent.workflow.history import History, HistoryEntry
    history = History()
    when = datetime(2024, 1, 1, tzinfo=timezone.utc)
    for transition, time in (('publish', when), ('migrate', datetime.now(timezone.utc))):
        history.append(HistoryEntry(time, 'x', transition, '', 'draft', '', 'published', '',
                                    '', 'wf', 1))
    assert [e.transition for e in history.steps()] == ['publish']
    assert history.latest().is_migration and not history.latest_step().is_migration
