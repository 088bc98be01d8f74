"""The optimistic version check of every staff edit form, as model rules
(no HTTP): a form built from an old revision changes nothing."""
from datetime import date

import pytest

from minorconsent.clients import (ContactPreferences, Goal, StaleEdit, edit_client,
                                  edit_guardian_link)
from minorconsent.clients.revision import check_revision, parse_revision, revision_of
from minorconsent.summaries.model import GoalLine, Summary


def goal_values(**kw):
    values = {'parent_title': 'Calm mornings', 'parent_description': '',
              'clinical_text': 'clinical', 'status': 'active'}
    values.update(kw)
    return values


def test_parse_revision_accepts_only_plain_numbers():
    assert parse_revision('0') == 0 and parse_revision(' 12 ') == 12
    for bad in ('', None, '-1', '1.0', 'abc', '١', '9' * 13):
        assert parse_revision(bad) is None


def test_a_goal_edit_from_the_current_revision_lands_and_counts():
    goal = Goal('clinical', 'Calm mornings')
    assert revision_of(goal) == 0
    assert goal.edit('0', goal_values(parent_title='Calmer mornings')) == ['parent_title']
    assert goal.parent_title == 'Calmer mornings' and goal.revision == 1
    assert goal.edit('1', goal_values(parent_title='Calmer mornings', clinical_text='x'))
    assert goal.revision == 2


def test_a_goal_edit_from_an_old_revision_changes_nothing():
    goal = Goal('clinical', 'Calm mornings')
    goal.edit('0', goal_values(parent_title='First author'))
    updated = goal.updated
    with pytest.raises(StaleEdit) as caught:
        goal.edit('0', goal_values(parent_title='Second author', clinical_text='other'))
    assert 'Someone else changed this goal while you were editing' in caught.value.message
    assert caught.value.current_revision == 1
    assert (goal.parent_title, goal.clinical_text, goal.revision, goal.updated) == \
        ('First author', 'clinical', 1, updated)


@pytest.mark.parametrize('token', ['', 'garbage', '-1', '99'])
def test_a_missing_or_garbled_revision_is_stale(token):
    goal = Goal('clinical', 'Calm mornings')
    with pytest.raises(StaleEdit):
        goal.edit(token, goal_values(parent_title='Changed'))
    assert goal.parent_title == 'Calm mornings'


def test_a_stale_form_that_already_holds_the_stored_values_is_a_no_op():
    """A double-clicked Save: the second submission overwrites nothing."""
    goal = Goal('clinical', 'Calm mornings')
    goal.edit('0', goal_values(parent_title='Once'))
    assert goal.edit('0', goal_values(parent_title='Once')) == []
    assert goal.revision == 1


def test_an_unchanged_save_counts_no_revision():
    goal = Goal('clinical', 'Calm mornings')
    assert goal.edit('0', goal_values()) == []
    assert goal.revision == 0


def test_check_revision_without_the_unchanged_escape():
    goal = Goal('clinical', 'Calm mornings')
    assert check_revision(goal, '0', 'msg') == 0
    with pytest.raises(StaleEdit):
        check_revision(goal, '1', 'msg')


def test_contact_preferences_are_checked_the_same_way():
    contact = ContactPreferences()
    assert contact.edit('0', {'sms_ok': True}) == ['sms_ok']
    with pytest.raises(StaleEdit) as caught:
        contact.edit('0', {'sms_ok': False, 'instructions': 'evenings'})
    assert 'contact preferences' in caught.value.message
    assert contact.sms_ok is True and contact.instructions == '' and contact.revision == 1


def draft(lines=(GoalLine('g1', 'Calm mornings', ''), GoalLine('g2', 'Homework', 'improving'))):
    summary = Summary('Winter', 'Going well.', lines, 'therapist')
    summary.state = 'draft'
    return summary


def test_a_summary_draft_edit_lands_with_its_ratings():
    summary = draft()
    changed = summary.edit('0', 'Winter', 'Going very well.', {'g1': 'achieved'})
    assert changed == ['text', 'ratings']
    assert summary.parent_text == 'Going very well.'
    assert summary.ratings() == {'g1': 'achieved', 'g2': 'improving'}
    assert [line.title for line in summary.goal_lines] == ['Calm mornings', 'Homework']
    assert summary.revision == 1


def test_a_stale_summary_edit_changes_nothing():
    summary = draft()
    summary.edit('0', 'Winter', 'First', {'g1': 'achieved'})
    with pytest.raises(StaleEdit) as caught:
        summary.edit('0', 'Spring', 'Second', {'g1': 'worsening', 'g2': ''})
    assert 'Someone else changed this summary' in caught.value.message
    assert (summary.period, summary.parent_text, summary.revision) == ('Winter', 'First', 1)
    assert summary.ratings() == {'g1': 'achieved', 'g2': 'improving'}


def test_a_summary_that_left_draft_cannot_be_edited(monkeypatch):
    summary = draft()
    summary.state = 'minor_review'
    monkeypatch.setattr('minorconsent.summaries.model.definition_of',
                        lambda obj: type('D', (), {'state': lambda self, s: type(
                            'S', (), {'title': 'Client review'})()})())
    with pytest.raises(StaleEdit) as caught:
        summary.edit('0', 'Winter', 'Changed during review', {})
    assert 'no longer a draft' in caught.value.message and 'Client review' in caught.value.message
    assert summary.parent_text == 'Going well.' and summary.revision == 0


def test_a_summary_edit_refuses_unknown_goals_and_ratings():
    summary = draft()
    with pytest.raises(ValueError):
        summary.edit('0', 'Winter', 'x', {'elsewhere': 'achieved'})
    with pytest.raises(ValueError):
        summary.edit('0', 'Winter', 'x', {'g1': 'great'})
    assert summary.parent_text == 'Going well.'


def test_client_record_and_guardian_link_rules(clinic, demo):
    with clinic() as c:
        client = c['clients'][demo.mateo]
        before = client.first_name
        edit_client(c, client, '0', {'preferred_name': 'Teo'})
        assert client.preferred_name == 'Teo' and client.revision == 1
        with pytest.raises(StaleEdit):
            edit_client(c, client, '0', {'first_name': 'Someone', 'date_of_birth': date(2012, 1, 1)})
        assert client.first_name == before
        link = client['guardians'][demo.user_ids['guardian']]
        assert edit_guardian_link(c, client, link, '0', {'relationship': 'parent',
                                                         'instructions': 'after 5pm'})
        assert link.revision == 1 and link.contact.instructions == 'after 5pm'
        with pytest.raises(StaleEdit):
            edit_guardian_link(c, client, link, '0', {'instructions': 'mornings'})
        assert link.contact.instructions == 'after 5pm'
