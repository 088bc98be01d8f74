"""The guardians' progress chart (issue 16, item 6): one point per
published progress entry at the date its rating was recorded, on a time
axis, each achievement value on a level of its own."""
import dataclasses
import re
from datetime import date, timedelta

from bs4 import BeautifulSoup

from minorconsent.portal.chart import LEVEL_LABELS, LEVELS, trend_svg
from minorconsent.portal.parentview import GoalRating, GoalTrend, goal_trends
from minorconsent.summaries import add_progress
from minorconsent.summaries.model import ACHIEVEMENT, ACHIEVEMENT_TITLES
from support import ROLE_EMAILS, csrf_of, sign_in


def svg_of(markup):
    return BeautifulSoup(markup, 'html.parser').find('svg')


def test_points_are_placed_in_proportion_to_time():
    svg = svg_of(trend_svg('Sleep', [('2026-01-11', 'improving', 'Improving'),
                                     ('2026-01-01', 'in-progress', 'In progress'),
                                     ('2026-01-02', 'no-change', 'No change')]))
    circles = svg.find_all('circle')
    assert [c['data-day'] for c in circles] == ['2026-01-01', '2026-01-02', '2026-01-11']
    x = [float(c['cx']) for c in circles]
    # One day, then nine: the gaps are one to nine, not equal steps.
    assert abs((x[2] - x[1]) / (x[1] - x[0]) - 9) < 0.01
    # The axis names the first and the last date.
    ticks = [t.get_text() for t in svg.find_all('text') if re.match(r'\d{4}-', t.get_text())]
    assert ticks[0] == '2026-01-01' and '2026-01-11' in ticks


def test_every_achievement_value_has_its_own_level_in_the_legends_order():
    assert sorted(LEVELS) == sorted(code for code, _ in ACHIEVEMENT)
    start = date(2026, 1, 1)
    points = [((start + timedelta(days=n)).isoformat(), code, ACHIEVEMENT_TITLES[code])
              for n, code in enumerate(LEVELS)]
    svg = svg_of(trend_svg('Goal', points))
    labels = {t['data-level']: float(t['y']) for t in svg.find_all('text')
              if t.has_attr('data-level')}
    # The legend: one label per value, bottom to top in LEVELS' order.
    assert [t.get_text() for t in svg.find_all('text') if t.has_attr('data-level')] == \
        list(LEVEL_LABELS)
    assert sorted(labels, key=lambda code: -labels[code]) == list(LEVELS)
    heights = {}
    for circle in svg.find_all('circle'):
        code = circle['data-level']
        # Each point sits on its own value's line (the label is drawn 4
        # below its line, to centre the words on it).
        assert abs(float(circle['cy']) + 4 - labels[code]) < 0.01, code
        heights[code] = float(circle['cy'])
    assert len(set(heights.values())) == len(LEVELS)
    # The two the issue named: no longer drawn on another value's line.
    assert heights['sustaining'] != heights['achieved']
    assert heights['no-progress'] != heights['no-change']


def test_a_day_may_come_as_a_date_or_as_iso_text():
    assert trend_svg('Sleep', [(date(2026, 1, 2), 'improving', 'Improving'),
                               ('2026-01-01', 'no-change', 'No change')]) == \
        trend_svg('Sleep', [('2026-01-02', 'improving', 'Improving'),
                            (date(2026, 1, 1), 'no-change', 'No change')])


def test_the_chart_is_described_and_fits_a_phone():
    svg = svg_of(trend_svg('Sleep', [('2026-01-01', 'improving', 'Improving'),
                                     ('2026-02-01', 'achieved', 'Achieved')]))
    assert svg['role'] == 'img' and svg['width'] == '100%'
    assert svg['viewbox'].split()[2] == '360'
    assert svg.find('desc').get_text() == '2026-01-01: Improving; 2026-02-01: Achieved'


def test_an_entry_two_summaries_carried_counts_once_as_the_newest_gave_it():
    older = GoalRating('Sleep', 'Improving', 'improving',
                       history=((1, '2026-01-01', 'in-progress', 'In progress'),
                                (2, '2026-01-08', 'improving', 'Improving')))
    newer = GoalRating('Sleep', 'Achieved', 'achieved',
                       history=((1, '2026-01-01', 'no-change', 'No change'),   # corrected
                                (2, '2026-01-08', 'improving', 'Improving'),
                                (3, '2026-02-01', 'achieved', 'Achieved')))

    class Published:
        def __init__(self, ref, day, goals):
            self.ref, self.published, self.goals = ref, day, goals
    (trend,) = goal_trends([Published('b', '2026-02-02', (newer,)),
                            Published('a', '2026-01-09', (older,))])
    assert trend.points == (('2026-01-01', 'no-change', 'No change'),
                            ('2026-01-08', 'improving', 'Improving'),
                            ('2026-02-01', 'achieved', 'Achieved'))
    assert trend.current == 'Achieved'


def test_a_summary_written_before_entries_were_carried_plots_at_its_publishing_day():
    old = GoalRating('Sleep', 'Improving', 'improving')            # no history
    new = GoalRating('Sleep', 'Achieved', 'achieved',
                     history=((7, '2026-03-01', 'achieved', 'Achieved'),))

    class Published:
        def __init__(self, ref, day, goals):
            self.ref, self.published, self.goals = ref, day, goals
    # The publishing day as text or as a date: the points' days are ISO text.
    for day in ('2026-02-02', date(2026, 2, 2)):
        (trend,) = goal_trends([Published('b', date(2026, 3, 2), (new,)),
                                Published('a', day, (old,))])
        assert trend.points == (('2026-02-02', 'improving', 'Improving'),
                                ('2026-03-01', 'achieved', 'Achieved'))


def test_what_a_guardian_gets_of_a_rating_is_plain_frozen_values():
    assert [f.name for f in dataclasses.fields(GoalRating)] == [
        'title', 'rating', 'code', 'description', 'note', 'history']
    assert [f.name for f in dataclasses.fields(GoalTrend)] == [
        'title', 'current', 'points', 'chart_svg', 'description', 'note']


def test_four_dated_entries_under_one_summary_are_four_points(app, clinic, demo):
    """The walk-through's case: four ratings recorded on four days, then one
    summary published: the guardian's chart has the four, at their days."""
    therapist_id = demo.user_ids['therapist']
    today = date.today()
    days = [today - timedelta(days=d) for d in (40, 30, 9, 2)]
    with clinic() as c:
        lucia = c['clients'][demo.lucia]
        goal = next(iter(lucia['goals'].values()))
        title = goal.parent_title
        for day, code in zip(days, ('no-progress', 'no-change', 'achieved', 'sustaining')):
            add_progress(goal, day, code, '', therapist_id)
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    form = therapist.get('/clients/%s/add-summary' % demo.lucia).forms['form']
    form['period'], form['parent_text'] = 'Four weeks', 'Lucia is doing well.'
    page = form.submit().follow()
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    child = '/clients/%s/family' % demo.lucia
    assert 'Lucia is doing well.' not in mother.get(child).text      # not yet published
    therapist.post(page.request.path + 'step', {'csrf_token': csrf_of(page),
                                                'step': 'publish'}, status=302)
    res = mother.get(child)
    (card,) = [s for s in res.html.select('section.goal-trend')
               if s.h3.get_text(strip=True) == title]
    circles = card.find('svg').find_all('circle')
    assert [c['data-day'] for c in circles] == [d.isoformat() for d in days]
    assert len({c['cy'] for c in circles}) == 4       # four values, four levels
    assert [c['data-level'] for c in circles] == ['no-progress', 'no-change', 'achieved',
                                                  'sustaining']
    # The same points as text, for those who do not see the picture.
    # (days written as the reader reads them: site.dates)
    from minorconsent.site.dates import reader_date
    with clinic() as c:
        written = [reader_date(c.settings, 'en', d) for d in days]
    listed = [li.get_text(' ', strip=True) for li in card.select('details li')]
    assert listed == ['%s: %s' % (d, w) for d, w in zip(
        written, ('No progress yet', 'No change', 'Achieved', 'Keeping it up'))]
    assert 'Now: Keeping it up' in card.get_text(' ', strip=True)


def test_a_chart_is_drawn_once_for_every_reader_of_the_same_words():
    """The cache key is the chart's whole plain input: two page views (each
    with its own date formatter, as each request has) share one drawing,
    and a different formatting of the dates draws anew."""
    from minorconsent.portal.chart import _drawn
    points = [('2026-03-01', 'improving', 'Improving'), ('2026-03-09', 'achieved', 'Achieved')]
    trend_svg('Cache check', points, on=lambda day: 'day %s' % day)
    before = _drawn.cache_info()
    again = trend_svg('Cache check', points, on=lambda day: 'day %s' % day)
    after = _drawn.cache_info()
    assert (after.hits, after.misses) == (before.hits + 1, before.misses)
    other = trend_svg('Cache check', points, on=lambda day: 'el %s' % day)
    assert _drawn.cache_info().misses == before.misses + 1
    assert 'day 2026-03-09' in again and 'el 2026-03-09' in other
