"""A signer's own copy of a signed agreement lists only that signer's own
events and the document's (sent, activated, ...): one parent must not learn
from it when the other opened, signed or declined the document.  The
clinic's copy keeps every event."""
import io

import pypdf

from support import sign_in


def words(res):
    assert res.content_type == 'application/pdf'
    return ' '.join(''.join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(res.body)).pages)
                    .split())


def joint_consent(clinic):
    """The Fairhavens' consent, waiting for the second parent."""
    with clinic() as c:
        co1 = c['users'].find_by_email('coparent1@demo.test')
        (client_id,) = c['clients'].index.children_of(co1.__name__)
        (agreement,) = [a for a in c['clients'][client_id]['agreements'].values()
                        if a.state == 'sent']
        return '/clients/%s/agreements/%s/' % (client_id, agreement.__name__)


def test_a_signers_copy_shows_only_their_own_events(app, clinic, demo):
    path = joint_consent(clinic)
    first = sign_in(app, 'coparent1@demo.test')
    first.get(path + 'family')                      # Jamie views it again
    second = sign_in(app, 'coparent2@demo.test')
    form = second.get(path + 'family').forms['electronic-records']  # Alex views it ...
    form['agreed'] = True                           # (a first signature)
    form = form.submit().follow().forms['sign']
    form['typed_name'] = 'Alex Fairhaven'
    form['consented_to_electronic'] = form['intent_to_sign'] = True
    form.submit().follow()                          # ... and signs: active
    clinic_copy = words(sign_in(app, 'therapist@demo.test').get(path + 'agreement.pdf'))
    for event in ('viewed by Jamie Fairhaven', 'signed by Jamie Fairhaven',
                  'viewed by Alex Fairhaven', 'signed by Alex Fairhaven',
                  'sent by Dr. Robin Reyes', 'activated by system'):
        assert event in clinic_copy, event
    jamie = words(first.get(path + 'signed.pdf'))
    alex = words(second.get(path + 'signed.pdf'))
    for own, other, copy in (('Jamie', 'Alex', jamie), ('Alex', 'Jamie', alex)):
        assert 'signed by %s Fairhaven' % own in copy
        assert 'viewed by %s Fairhaven' % own in copy
        assert 'viewed by %s Fairhaven' % other not in copy
        assert 'signed by %s Fairhaven' % other not in copy
        # The document's own events stay; the signatures are the document.
        assert 'sent by Dr. Robin Reyes' in copy and 'activated by system' in copy
        assert 'Signed by %s Fairhaven' % other in copy
    # Invitations name a person: they are the clinic's to see.
    assert 'invited by' in clinic_copy and 'invited by' not in jamie + alex
