"""What a lapsed consent means for the guardian (issue 17 item 3): after
the consent expires at the end of its period, its signers keep reading
what the therapist published for ``lapsed_access_days`` after its last
day, and the family page says so in plain words; after that, or at once
where the admin's definition gives the guardian nothing in ``expired``,
the summaries are no longer shown."""
from datetime import date, timedelta

import tomli_w

from minorconsent.agreements.model import consented_guardians
from minorconsent.workflow import workflow_guards
from minorconsent.workflow.definition import to_data
from minorconsent.workflow.engine import Actor, fire
from support import MARKER, ROLE_EMAILS, sign_in

PUBLISHED = 'Mateo keeps working on his goals'


def expire_consent(app, clinic, demo, days_ago, deny=False):
    """Mateo's consent expired at the end of a period whose last day was
    ``days_ago`` days ago (a grace of 30 days); ``deny``: the admin's
    definition gives the guardian nothing in ``expired``."""
    with clinic() as c:
        c.settings.lapsed_access_days = 30
        mateo = c['clients'][demo.mateo]
        consent = mateo['agreements'][demo.mateo_consent]
        until = date.today() - timedelta(days=days_ago)
        consent.valid_from, consent.valid_until = until - timedelta(days=364), until
        for other in mateo['agreements'].values():
            assert other is consent or other.kind != 'consent' or other.state != 'active'
        if deny:
            record = c['workflows'][consent.workflow_id]
            data = to_data(record.definition(consent.workflow_version))
            for role in ('guardian', 'adolescent'):
                data['states']['expired']['permissions'].pop(role, None)
            record.versions[consent.workflow_version] = tomli_w.dumps(data)
            record._v_parsed = None
        fire(consent, 'expire', Actor.system(), workflow_guards(app.registry),
             comment='the period of the agreement ended', registry=app.registry,
             announce=False)
        return until


def family_page(app, demo):
    guardian = sign_in(app, ROLE_EMAILS['guardian'])
    return guardian.get('/clients/%s/family' % demo.mateo)


def test_within_the_grace_the_guardian_reads_and_is_told_until_when(app, clinic, demo):
    until = expire_consent(app, clinic, demo, days_ago=5)
    with clinic() as c:
        assert demo.user_ids['guardian'] in consented_guardians(c['clients'][demo.mateo])
    page = family_page(app, demo)
    text = ' '.join(page.html.get_text().split())
    assert PUBLISHED in text
    assert 'consent has ended' in text
    grace_end = until + timedelta(days=30)
    assert grace_end.strftime('%B') in text and str(grace_end.year) in text
    assert MARKER not in page.text


def test_after_the_grace_the_summaries_are_gone(app, clinic, demo):
    expire_consent(app, clinic, demo, days_ago=31)
    with clinic() as c:
        assert demo.user_ids['guardian'] not in consented_guardians(c['clients'][demo.mateo])
    text = family_page(app, demo).html.get_text()
    assert PUBLISHED not in text and 'consent has ended' not in text


def test_the_last_day_of_the_grace_still_reads(app, clinic, demo):
    expire_consent(app, clinic, demo, days_ago=30)
    assert PUBLISHED in family_page(app, demo).html.get_text()


def test_a_definition_that_denies_the_expired_state_ends_access_at_once(app, clinic, demo):
    expire_consent(app, clinic, demo, days_ago=1, deny=True)
    with clinic() as c:
        assert demo.user_ids['guardian'] not in consented_guardians(c['clients'][demo.mateo])
    assert PUBLISHED not in family_page(app, demo).html.get_text()
