"""A goal's progress over time as a small SVG chart, for a phone screen.

Drawn only from published summaries (what the therapist chose to share),
never from unpublished progress entries: each point is a progress entry a
published summary carried, at the date its rating was recorded.  The
horizontal axis is time (points are as far apart as their dates), and each
achievement value has a level of its own, labelled with its own words, in
the order of ``LEVELS`` (so "Keeping it up" is not drawn on the "Achieved"
line, nor "No progress yet" on "No change").  The SVG has a <title> and
<desc> naming every point, and the page shows the same points as a list,
so nothing depends on seeing the picture.  No script, no external resource;
the viewBox scales to a 360 px phone.
"""
from datetime import date
from functools import lru_cache
from html import escape

from minorconsent.summaries.model import ACHIEVEMENT_TITLES

#: The FHIR achievement codes from the bottom of the chart to the top: an
#: up-is-better scale where every code has its own line.
LEVELS = ('not-attainable', 'not-achieved', 'worsening', 'no-progress', 'no-change',
          'in-progress', 'improving', 'achieved', 'sustaining')
LEVEL = {code: n for n, code in enumerate(LEVELS)}
#: The label of each level: the words guardians read everywhere else.
LEVEL_LABELS = tuple(ACHIEVEMENT_TITLES[code] for code in LEVELS)
#: Room on the left for the longest label (Spanish "Por ahora no es
#: alcanzable") at a size still readable once a phone scales the picture.
WIDTH, HEIGHT = 360, 215
LEFT, RIGHT, TOP, BOTTOM = 168, 12, 10, 30
ROW = (HEIGHT - TOP - BOTTOM) / (len(LEVELS) - 1)


def iso_day(day):
    """A point's day as ISO text, whether it came as a ``date`` or as text."""
    return day.isoformat() if isinstance(day, date) else str(day)


def trend_svg(title, points, t=str, on=iso_day):
    """``points``: ``[(date or ISO date, rating code, rating words)]``;
    ``t`` translates the chart's own words (the goal title is the
    therapist's and stays as written) and ``on`` writes a day for the
    reader (``site.dates``; ISO without one).  Points are drawn in date
    order."""
    usable = tuple(sorted(((iso_day(day), code, words) for day, code, words in points
                           if code in LEVEL), key=lambda p: p[0]))
    desc = '; '.join('%s: %s' % (on(date.fromisoformat(day)), t(words))
                     for day, _, words in usable) or t('No ratings yet')
    ends = ()
    if usable:
        ends = tuple(on(date.fromisoformat(usable[i][0])) for i in (0, -1))
    return _drawn(title, usable, desc, tuple(t(label) for label in LEVEL_LABELS), ends)


def level_y(code):
    """The vertical position of a rating's level."""
    return TOP + (len(LEVELS) - 1 - LEVEL[code]) * ROW


def time_x(day, first, last):
    """The horizontal position of ``day`` on the axis from ``first`` to
    ``last`` (all ``date``s): proportional to time; one day alone in the
    middle."""
    plot_w = WIDTH - LEFT - RIGHT
    span = (last - first).days
    if span <= 0:
        return LEFT + plot_w / 2
    return LEFT + (day - first).days * plot_w / span


@lru_cache(maxsize=4096)
def _drawn(title, usable, desc, labels, ends):
    """The SVG, a pure function of its (already translated and formatted)
    words, so a family page redraws nothing that has not changed.  Every
    argument is plain text or a tuple of it: the key holds the whole input,
    so the cache is exact, and it keeps no request alive (a formatter
    closed over a request once sat in the key: every page missed, and the
    cache held its last 4,096 requests)."""
    out = ['<svg xmlns="http://www.w3.org/2000/svg" class="trend" role="img" '
           'viewBox="0 0 %d %d" width="100%%" preserveAspectRatio="xMinYMin meet">'
           % (WIDTH, HEIGHT),
           '<title>%s</title><desc>%s</desc>' % (escape(title), escape(desc))]
    for code, label in zip(LEVELS, labels):
        y = level_y(code)
        out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#d5dbe3"/>'
                   % (LEFT, WIDTH - RIGHT, y, y))
        out.append('<text x="%d" y="%.1f" font-size="11.5" text-anchor="end" fill="#4a5566" '
                   'font-family="sans-serif" data-level="%s">%s</text>'
                   % (LEFT - 6, y + 4, code, escape(label)))
    if usable:
        days = [date.fromisoformat(day) for day, _, _ in usable]
        first, last = days[0], days[-1]
        coords = [(time_x(day, first, last), level_y(code))
                  for day, (_, code, _) in zip(days, usable)]
        axis_y = HEIGHT - BOTTOM + 6
        out.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#8793a3"/>'
                   % (LEFT, WIDTH - RIGHT, axis_y, axis_y))
        if len(coords) > 1:
            out.append('<polyline fill="none" stroke="#1f5fa8" stroke-width="2.5" points="%s"/>'
                       % ' '.join('%.1f,%.1f' % c for c in coords))
        for (cx, cy), (day, code, _) in zip(coords, usable):
            out.append('<circle cx="%.1f" cy="%.1f" r="4" fill="#1f5fa8" data-day="%s" '
                       'data-level="%s"/>' % (cx, cy, escape(day), code))
        # The axis names its first and last dates, each at its place in
        # time (a third would not fit beside them on a phone).
        ticks = [(first, 'start', ends[0])]
        if (last - first).days > 0:
            ticks.append((last, 'end', ends[1]))
        for day, anchor, words in ticks:
            x = time_x(day, first, last)
            out.append('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#8793a3"/>'
                       % (x, x, axis_y, axis_y + 4))
            out.append('<text x="%.1f" y="%d" font-size="10" text-anchor="%s" '
                       'fill="#4a5566" font-family="sans-serif">%s</text>'
                       % (x, HEIGHT - 4, anchor if len(ticks) > 1 else 'middle',
                          escape(words)))
    out.append('</svg>')
    return '\n'.join(out)
