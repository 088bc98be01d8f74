"""The hash chain: any change, removal, reordering or truncation is named."""
import pytest
from hypothesis import given, settings, strategies as st

from minorconsent.audit.chain import FIELDS, AuditLog, Broken, entry_hash, verify
from minorconsent.audit.recorder import make_entry

TEXT = st.text(max_size=30)


def sealed(count):
    log = AuditLog()
    log.seal([make_entry('GET Client.index', actor='u%d' % i, record='c%d' % (i % 3),
                         detail='entry %d' % i, at='2026-11-%02dT10:00:00.000000Z' % (1 + i % 28))
              for i in range(count)])
    return log


def test_a_sealed_log_verifies_and_links_every_entry():
    log = sealed(25)
    assert verify(log) == 25 == len(log)
    for seq in range(2, 26):
        assert log.get(seq)['prev'] == log.get(seq - 1)['hash']
    assert log.get(1)['prev'] == '0' * 64
    assert log.head_hash == log.get(25)['hash']


@settings(max_examples=60, deadline=None)
@given(count=st.integers(2, 40), data=st.data())
def test_altering_any_field_of_any_entry_is_named(count, data):
    log = sealed(count)
    seq = data.draw(st.integers(1, count))
    field = data.draw(st.sampled_from(FIELDS[1:-1]))
    new = data.draw(TEXT)
    stored = list(log.entries[seq])
    if stored[FIELDS.index(field)] == new:
        new += 'x'
    stored[FIELDS.index(field)] = new
    log.entries[seq] = tuple(stored)
    with pytest.raises(Broken) as caught:
        verify(log)
    assert caught.value.seq == seq


def test_rehashing_a_changed_entry_breaks_the_next_one():
    log = sealed(10)
    stored = list(log.entries[4])
    stored[FIELDS.index('actor')] = 'someone-else'
    stored[-1] = entry_hash(stored[:len(FIELDS)])
    log.entries[4] = tuple(stored)
    with pytest.raises(Broken) as caught:
        verify(log)
    assert caught.value.seq == 5


def test_a_removed_entry_is_named():
    log = sealed(10)
    del log.entries[6]
    with pytest.raises(Broken) as caught:
        verify(log)
    assert caught.value.seq == 6


def test_swapped_entries_are_caught():
    log = sealed(10)
    log.entries[3], log.entries[4] = log.entries[4], log.entries[3]
    with pytest.raises(Broken) as caught:
        verify(log)
    assert caught.value.seq == 3


def test_cutting_off_the_newest_entries_is_caught():
    log = sealed(10)
    del log.entries[10]
    del log.entries[9]
    with pytest.raises(Broken) as caught:
        verify(log)
    assert caught.value.seq == 9


def test_filters_intersect_the_indexes():
    log = sealed(30)
    found = log.select(record='c1', first_day='2026-11-05', last_day='2026-11-20')
    expected = [seq for seq in range(1, 31)
                if log.get(seq)['record'] == 'c1'
                and '2026-11-05' <= log.get(seq)['at'][:10] <= '2026-11-20']
    assert list(found) == expected and expected
    assert list(log.select(actor='u7')) == [8]
    assert list(log.select(action='nothing-like-this')) == []
    newest, total = log.newest(found, count=2)
    assert total == len(expected)
    assert [e['seq'] for e in newest] == expected[::-1][:2]


def test_an_entry_hidden_from_the_indexes_is_caught():
    log = sealed(12)
    log.by_record['c1'].remove(5)        # the viewer would no longer show it
    with pytest.raises(Broken) as caught:
        verify(log)
    assert caught.value.seq == 5 and 'record index' in caught.value.reason
