"""A stored definition that hands the family permissions in every state
(published before the validator knew the rooms' family states, or edited
in the database) still shows a family nothing that is not theirs: the
engine drops the grants outside the declared states, and the parent view
lists only summaries in the published state, agreements and notices only
in their family-readable states.

The demo clinic carries MARKER in its draft, withdrawn and in-review
summaries, in the notes of a disclosure not signed off, and elsewhere.
"""
import tomli_w
import pytest

from minorconsent.workflow.definition import to_data
from minorconsent.workflow.validate import ROLE_FAMILY_PERMISSIONS
from support import MARKER, ROLE_EMAILS, sign_in

from test_parent_view_promise import crawl, every_family_client_url, readable


def plant_unsound_definitions(c):
    """Overwrite the current version of every workflow with one that gives
    the guardian and the teen every family permission in every state."""
    for record in c['workflows'].values():
        data = to_data(record.definition())
        for state in data['states'].values():
            for role in ('guardian', 'adolescent'):
                state['permissions'][role] = sorted(ROLE_FAMILY_PERMISSIONS[role])
        record.versions[record.current] = tomli_w.dumps(data)
        record._v_parsed = None


def summary_urls(c, demo):
    """The family pages and PDFs of every Mateo summary, whatever its state."""
    for sid in c['clients'][demo.mateo]['summaries'].keys():
        base = '/clients/%s/summaries/%s/' % (demo.mateo, sid)
        yield base + 'family'
        yield base + 'summary.pdf'


@pytest.mark.parametrize('role', ['guardian', 'adolescent'])
def test_a_stored_unsound_definition_leaks_nothing(app, clinic, demo, role):
    with clinic() as c:
        plant_unsound_definitions(c)
        summaries = c['clients'][demo.mateo]['summaries']
        # What the teen legitimately reads: the text under their review.
        allowed = [summaries[demo.mateo_review_summary].parent_text] \
            if role == 'adolescent' else []
        hidden = [s.parent_text for s in summaries.values()
                  if s.state in ('draft', 'withdrawn')
                  or (role == 'guardian' and s.state == 'minor_review')]
        urls = list(summary_urls(c, demo))
    assert hidden and all(MARKER in text for text in hidden)
    browser = sign_in(app, ROLE_EMAILS[role])
    pages = crawl(browser)
    for path in list(every_family_client_url(demo)) + urls:
        pages[path] = browser.get(path, expect_errors=True)
    for path, res in pages.items():
        text = readable(res)
        for shown in allowed:
            text = text.replace(shown, '')
        assert MARKER not in text, path
    if role == 'guardian':
        # The guardian still reads what is published (the test is not blind).
        family = browser.get('/clients/%s/family' % demo.mateo)
        assert 'Mateo keeps working on his goals' in family.html.get_text()


def test_the_parent_view_lists_only_published_summaries(app, clinic, demo):
    """Belt and braces: even with an ACL that says yes, the parent view
    lists a summary only in the published state."""
    from minorconsent.portal.parentview import parent_view, summary_views, teen_view
    with clinic() as c:
        plant_unsound_definitions(c)
        mateo = c['clients'][demo.mateo]
        everyone = ('system.Everyone', 'system.Authenticated',
                    'user:' + demo.user_ids['guardian'],
                    'user:' + demo.user_ids['adolescent'])
        states = {s.__name__: s.state for s in mateo['summaries'].values()}
        view = parent_view(mateo, demo.user_ids['guardian'], c.settings,
                           principals=everyone)
        assert view.summaries
        assert {states[s.ref] for s in view.summaries} == {'published'}
        for permission in ('view-published', 'review', 'sign'):
            listed = summary_views(mateo, everyone, permission)
            assert {states[s.ref] for s in listed} <= \
                ({'minor_review'} if permission == 'review' else {'published'}), permission
        teen = teen_view(mateo, c['users'], everyone)
        assert {states[s.ref] for s in teen.summaries} == {'minor_review', 'published'}
        agreements = {a.__name__: a.state for a in mateo['agreements'].values()}
        assert {agreements[a.ref] for a in view.agreements} <= {
            'sent', 'proposed', 'active', 'declined', 'revoked'}
