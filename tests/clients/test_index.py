"""The client index agrees with a brute-force scan, whatever the names."""
from datetime import date

from hypothesis import given, settings, strategies as st

from minorconsent.clients import Client, Clients
from minorconsent.clients.index import fold, name_tokens

NAMES = st.sampled_from(['Ana', 'Anabel', 'Zoë', 'zoe', 'Lee', 'Leeds', 'Émile',
                         'Marlowe', 'Mar', "O'Neil", 'de la Cruz', 'Ng'])
THERAPISTS = ('t1', 't2', 't3')


@st.composite
def clinics(draw):
    rows = draw(st.lists(st.tuples(NAMES, NAMES, st.sets(st.sampled_from(THERAPISTS),
                                                           min_size=1)),
                         max_size=30))
    return rows


def build(rows):
    clients = Clients()
    made = []
    for first, last, therapists in rows:
        client = Client(first, last, date(2012, 1, 1), sorted(therapists))
        clients.add_client(client)
        made.append(client)
    return clients, made


def brute(made, therapist_ids, query):
    words = fold(query).split()
    hits = [c for c in made if set(c.therapist_ids) & set(therapist_ids)
            and all(any(t.startswith(w) for t in name_tokens(c)) for w in words)]
    return sorted(hits, key=lambda c: (fold(c.last_name), fold(c.first_name), c.__name__))


@settings(max_examples=60, deadline=None)
@given(clinics(), st.sets(st.sampled_from(THERAPISTS), min_size=1),
       st.sampled_from(['', 'an', 'zo', 'zoe', 'lee', 'mar', 'ana mar', 'emile', 'cruz', 'x']),
       st.integers(min_value=1, max_value=4))
def test_paged_search_matches_brute_force(rows, therapist_ids, query, size):
    clients, made = build(rows)
    expected = brute(made, therapist_ids, query)
    got, page = [], 1
    while True:
        rows_, more = clients.page_for_staff(therapist_ids, query, page, size)
        got.extend(rows_)
        if not more:
            break
        page += 1
    assert [c.__name__ for c in got] == [c.__name__ for c in expected]


def test_reindex_after_rename_and_reassignment():
    clients, (client,) = build([('Ana', 'Lee', {'t1'})])
    client.last_name = 'Marlowe'
    client.therapist_ids = ('t2',)
    clients.reindex(client)
    assert clients.page_for_staff(['t1'])[0] == []
    assert clients.page_for_staff(['t2'], 'lee')[0] == []
    assert clients.page_for_staff(['t2'], 'marl')[0] == [client]
    clients.remove_client(client.__name__)
    assert clients.page_for_staff(['t2'])[0] == []
    assert len(clients.index.by_token) == 0
