"""Requests from third parties: recorded, answered without acknowledgement."""
from datetime import date

from minorconsent.disclosures.requests import STANDARD_REPLY
from support import ROLE_EMAILS, sign_in


def test_a_request_is_recorded_with_its_outcome(app, demo, clinic):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    form = therapist.get('/clients/%s/add-request' % demo.lucia).forms['form']
    form['requester'] = 'An aunt, by phone'
    radios = [name for name, fields in form.fields.items()
              if type(fields[0]).__name__ == 'Radio']
    form[radios[0]] = 'relative'
    form[radios[1]] = 'ncnd'
    form['received_on'] = date.today().isoformat()
    form['asked_for'] = 'Whether Lucia comes here.'
    page = form.submit(status=302).follow()
    assert 'An aunt, by phone' in page.text
    assert 'Answered with the standard reply' in page.text
    with clinic() as c:
        requests = list(c['clients'][demo.lucia]['requests'].values())
        assert [r.outcome for r in requests] == ['ncnd']


def test_the_standard_reply_neither_confirms_nor_denies():
    text = STANDARD_REPLY.lower()
    assert 'neither confirm nor deny' in text
    for word in ('client', 'patient', 'therapy', 'counseling', 'mateo', 'lucia'):
        assert word not in text
