"""The client page says what each guardian can do in the portal, truly."""
from support import ROLE_EMAILS, sign_in


def card_of(page, name):
    (card,) = [li for li in page.html.select('ul.cards > li.card')
               if li.strong is not None and li.strong.text == name]
    return ' '.join(card.text.split())


def test_the_card_tells_entitled_from_signed_up(app, clinic, demo):
    with clinic() as c:
        mother = c['users'][demo.user_ids['guardian']]
        name = mother.display_name
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    page = therapist.get('/clients/%s/' % demo.mateo)
    assert 'Can sign in to the family portal' in card_of(page, name)
    # An account made for an invitation, no password set yet: entitled, but
    # the card must not say the guardian sees the portal.
    with clinic() as c:
        c['users'][demo.user_ids['guardian']].password_hash = None
    card = card_of(therapist.get('/clients/%s/' % demo.mateo), name)
    assert 'has no password yet' in card
    assert 'Can sign in' not in card and 'Sees the family portal' not in card


def test_a_restricted_parent_has_no_portal_access(app, clinic, demo):
    with clinic() as c:
        restricted = c['users'][demo.user_ids['guardian_restricted']].display_name
    page = sign_in(app, ROLE_EMAILS['therapist']).get('/clients/%s/' % demo.mateo)
    card = card_of(page, restricted)
    assert 'No portal access' in card and 'family portal' not in card
