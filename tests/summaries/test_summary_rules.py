"""Summaries without HTTP: who may read them, in which state."""
from datetime import date

from pyramid.authorization import ACLHelper

from minorconsent.security.policy import principals_for
from minorconsent.summaries import add_progress, write_summary
from minorconsent.summaries.model import consent_active_for
from minorconsent.workflow import workflow_guards
from minorconsent.workflow.engine import Actor, fire


def reads(summary, user):
    return bool(ACLHelper().permits(summary, principals_for(user), 'view-published'))


def test_guardians_read_published_summaries_only_with_active_consent(app, clinic, demo):
    guards = workflow_guards(app.registry)
    with clinic() as c:
        users = c['users']
        therapist, mother = users[demo.user_ids['therapist']], users[demo.user_ids['guardian']]
        father, teen = users[demo.user_ids['guardian_restricted']], users[demo.user_ids['adolescent']]
        mateo = c['clients'][demo.mateo]
        goal = next(iter(mateo['goals'].values()))
        add_progress(goal, date(2026, 11, 1), 'improving', 'Calmer mornings.', therapist.__name__)
        summary = write_summary(c, mateo, 'November', 'A good month.', therapist.__name__)
        assert [line.rating for line in summary.goal_lines][0] == 'improving'
        assert goal.clinical_text not in repr(summary.goal_lines)
        assert not reads(summary, mother) and not reads(summary, teen)      # draft
        fire(summary, 'ask_client_review', Actor(therapist.__name__, principals_for(therapist)),
             guards)
        assert not reads(summary, mother)
        assert ACLHelper().permits(summary, principals_for(teen), 'review')
        author = Actor(therapist.__name__, principals_for(therapist))
        from minorconsent.workflow.engine import WorkflowError
        import pytest
        with pytest.raises(WorkflowError, match='may not'):
            fire(summary, 'publish_reviewed', author, guards)   # the teen has not agreed
        summary.review_agreed = True
        summary.review_agreed_revision = summary.revision     # to this very text
        fire(summary, 'publish_reviewed', author, guards)
        assert reads(summary, mother) and reads(summary, teen)
        assert not reads(summary, father)                                   # restricted
        assert consent_active_for(mateo, mother.__name__)
        # Revoking consent closes the door on summaries at once.
        consent = mateo['agreements'][demo.mateo_consent]
        fire(consent, 'revoke', Actor(mother.__name__, principals_for(mother)), guards,
             comment='Changing practices')
        assert not consent_active_for(mateo, mother.__name__)
        assert not reads(summary, mother)


def test_concurrent_progress_on_one_goal_merges_instead_of_conflicting(app, demo):
    """Two therapists rate the same goal at once: both entries land."""
    import transaction as txn
    from datetime import date as day
    from minorconsent.summaries import add_progress
    from minorconsent.summaries.model import progress_entries
    managers, goals = [], []
    for _ in range(2):
        tm = txn.TransactionManager(explicit=True)
        tm.begin()
        conn = app.db.open(transaction_manager=tm)
        managers.append((tm, conn))
        goals.append(conn.root()['minorconsent']['clients'][demo.mateo]['goals'][demo.mateo_goal])
    before = len(progress_entries(goals[0]))
    add_progress(goals[0], day(2026, 11, 21), 'improving', 'One.', demo.user_ids['therapist'])
    add_progress(goals[1], day(2026, 11, 21), 'achieved', 'Two.', demo.user_ids['therapist'])
    for tm, conn in managers:
        tm.commit()            # the second commit is resolved, not refused
        conn.close()
    tm = txn.TransactionManager(explicit=True)
    tm.begin()
    conn = app.db.open(transaction_manager=tm)
    goal = conn.root()['minorconsent']['clients'][demo.mateo]['goals'][demo.mateo_goal]
    notes = [entry.parent_note for entry in progress_entries(goal)]
    assert len(notes) == before + 2 and set(notes[-2:]) == {'One.', 'Two.'}
    tm.abort()
    conn.close()
