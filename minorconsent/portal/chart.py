"""A goal's progress over time as a small SVG chart, for a phone screen.

Drawn only from published summaries (what the therapist chose to share),
never from unpublished progress entries.  The SVG has a <title> and <desc>
and the page shows the same points as a list, so nothing depends on seeing
the picture.  No script, no external resource.
"""
from functools import lru_cache
from html import escape

#: FHIR achievement codes placed on a simple up-is-better scale.
LEVEL = {
    'worsening': 0, 'not-achieved': 0, 'not-attainable': 0,
    'no-progress': 1, 'no-change': 1,
    'in-progress': 2,
    'improving': 3,
    'achieved': 4, 'sustaining': 4,
}
LEVEL_LABELS = ('Harder', 'No change', 'In progress', 'Improving', 'Achieved')
WIDTH, HEIGHT = 320, 150
LEFT, RIGHT, TOP, BOTTOM = 78, 12, 10, 28


def trend_svg(title, points, t=str):
    """``points``: ``[(date text, rating code, rating words)]``, oldest first;
    ``t`` translates the chart's own words (the goal title is the
    therapist's and stays as written)."""
    usable = tuple((day, code, words) for day, code, words in points if code in LEVEL)
    desc = '; '.join('%s: %s' % (day, t(words)) for day, _, words in usable) \
        or t('No ratings yet')
    return _drawn(title, usable, desc, tuple(t(label) for label in LEVEL_LABELS))


@lru_cache(maxsize=4096)
def _drawn(title, usable, desc, labels):
    """The SVG, a pure function of its (already translated) words, so a
    family page redraws nothing that has not changed."""
    out = ['<svg xmlns="http://www.w3.org/2000/svg" class="trend" role="img" '
           'viewBox="0 0 %d %d" width="100%%" preserveAspectRatio="xMinYMin meet">'
           % (WIDTH, HEIGHT),
           '<title>%s</title><desc>%s</desc>' % (escape(title), escape(desc))]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y(level):
        return TOP + plot_h - level * plot_h / (len(LEVEL_LABELS) - 1)
    for level in range(len(LEVEL_LABELS)):
        out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#d5dbe3"/>'
                   % (LEFT, WIDTH - RIGHT, y(level), y(level)))
        out.append('<text x="%d" y="%.1f" font-size="11" text-anchor="end" fill="#4a5566" '
                   'font-family="sans-serif">%s</text>' % (LEFT - 6, y(level) + 4,
                                                           escape(labels[level])))
    if usable:
        step = plot_w / max(len(usable) - 1, 1)
        coords = [(LEFT + (i * step if len(usable) > 1 else plot_w / 2), y(LEVEL[code]))
                  for i, (_, code, _) in enumerate(usable)]
        if len(coords) > 1:
            out.append('<polyline fill="none" stroke="#1f5fa8" stroke-width="2.5" points="%s"/>'
                       % ' '.join('%.1f,%.1f' % c for c in coords))
        for (cx, cy), (day, _, _) in zip(coords, usable):
            out.append('<circle cx="%.1f" cy="%.1f" r="4" fill="#1f5fa8"/>' % (cx, cy))
        ends = [(coords[0][0], usable[0][0], 'start')]
        if len(usable) > 1:
            ends.append((coords[-1][0], usable[-1][0], 'end'))
        for cx, day, anchor in ends:
            out.append('<text x="%.1f" y="%d" font-size="10" text-anchor="%s" '
                       'fill="#4a5566" font-family="sans-serif">%s</text>'
                       % (cx, HEIGHT - 8, anchor, escape(day)))
    out.append('</svg>')
    return '\n'.join(out)
