"""What a summary's steps set off, fired outside any staff page."""
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from minorconsent.summaries import subscribers
from minorconsent.summaries.model import Summary
from minorconsent.workflow.events import AfterTransition


def stepped(summary, to_state, announce=True):
    return AfterTransition(summary, SimpleNamespace(id='publish'), 'draft', to_state,
                           actor=None, comment='', now=datetime.now(timezone.utc),
                           registry=None, announce=announce)


@pytest.fixture
def told(monkeypatch):
    calls = []
    monkeypatch.setattr(subscribers, 'get_current_request', lambda: 'a request')
    monkeypatch.setattr(subscribers, 'notify_guardians',
                        lambda request, summary: calls.append((request, summary)))
    return calls


def test_publishing_tells_the_guardians_in_a_request(told):
    summary = Summary.__new__(Summary)
    subscribers.summary_stepped(stepped(summary, 'published'))
    assert told == [('a request', summary)]


def test_a_replayed_publish_tells_nobody(told):
    """The demo seed replays months of publishing inside the script's
    request: no family is mailed about it."""
    summary = Summary.__new__(Summary)
    subscribers.summary_stepped(stepped(summary, 'published', announce=False))
    assert told == []


def test_a_new_review_round_resets_the_teens_agreement_even_when_replayed(told):
    summary = Summary.__new__(Summary)
    summary.review_agreed = True
    subscribers.summary_stepped(stepped(summary, 'minor_review', announce=False))
    assert summary.review_agreed is False and told == []
