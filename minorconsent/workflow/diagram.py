"""An SVG diagram of a workflow, drawn in pure Python.

States are boxes laid out in columns by their distance from the initial
state; transitions are arrows labelled with their titles.  Arrows that go
back to an earlier column curve below all the boxes so they stay
readable.  The SVG carries a <title> and <desc> for screen
readers and contains no script.

Labels are the clinic's own titles, of any length, so nothing here
assumes one: the text is measured (``text_width``, the advance widths of
DejaVu Sans, the browsers' widest common sans-serif and Debian's
``sans-serif``, so narrower fonts fit too), long titles are wrapped
(``wrap``), the boxes and the gap between columns are sized from the
longest label, and a step's label that would cover a box or another
label is moved along until it covers nothing (``Placer``).
"""
import math
import unicodedata
from collections import deque
from html import escape

#: DejaVu Sans advance widths of the characters " " to "~", in thousandths
#: of the font size.
ASCII_WIDTHS = (
    318, 401, 460, 838, 637, 951, 780, 275, 391, 391, 500, 838, 318, 361, 318, 337,
    637, 637, 637, 637, 637, 637, 637, 637, 637, 637, 337, 337, 838, 838, 838, 531,
    1000, 685, 687, 699, 771, 632, 576, 775, 752, 295, 295, 656, 558, 863, 749, 788,
    604, 788, 695, 635, 611, 732, 685, 989, 686, 611, 686, 391, 337, 391, 838, 500,
    500, 613, 635, 550, 635, 616, 353, 635, 634, 278, 278, 580, 278, 975, 634, 612,
    635, 635, 412, 521, 393, 634, 592, 818, 592, 592, 525, 637, 337, 637, 838)
#: A character outside that range (after its accents are set aside): one em.
WIDE = 1000
#: Above and below the baseline, in font sizes (the font's own line metrics).
ASCENT, DESCENT = 0.93, 0.24

STATE_FONT, STEP_FONT = 14, 11
STATE_LINE, STEP_LINE = 18, 14          # line heights
STATE_PAD_X, STATE_PAD_Y = 12, 8
LABEL_PAD_X, LABEL_PAD_Y = 4, 2
#: The widest a label's text may run before it wraps.
STATE_TEXT_MAX, STEP_TEXT_MAX = 200, 150
MIN_BOX_W, MIN_BOX_H = 150, 46
MIN_COL_GAP, ROW_GAP = 90, 40
MARGIN = 30
#: How far a step's label moves at a time while it looks for free space.
NUDGE = 4


def char_width(char):
    """``char``'s advance width in thousandths of the font size."""
    base = unicodedata.normalize('NFD', char)[:1] or char
    code = ord(base)
    return ASCII_WIDTHS[code - 32] if 32 <= code < 127 else WIDE


def text_width(text, size):
    """How wide ``text`` is drawn at ``size`` px, in px (rounded up)."""
    return math.ceil(sum(char_width(c) for c in text) * size / 1000)


def wrap(text, size, limit):
    """``text`` in lines no wider than ``limit`` px at ``size``: broken
    between words, and inside a word only where one word alone is wider."""
    lines, line = [], ''
    for word in text.split() or ['']:
        candidate = (line + ' ' + word) if line else word
        if text_width(candidate, size) <= limit:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ''
        for char in word:
            if line and text_width(line + char, size) > limit:
                lines.append(line)
                line = ''
            line += char
    lines.append(line)
    return lines


class Label:
    """Lines of text centred in a box: its size, and its SVG once placed."""

    def __init__(self, text, size, line_height, limit, pad_x, pad_y):
        self.lines = wrap(text, size, limit)
        self.size, self.line_height = size, line_height
        self.text_w = max(text_width(line, size) for line in self.lines)
        self.text_h = len(self.lines) * line_height
        self.w = self.text_w + 2 * pad_x
        self.h = self.text_h + 2 * pad_y

    def texts(self, cx, top, height, fill):
        """The ``<text>`` lines, centred on ``cx`` in the box from ``top``
        that is ``height`` high."""
        first = top + (height - self.text_h) / 2
        # Each line's ascent and descent centred in its line height.
        offset = (self.line_height - (ASCENT + DESCENT) * self.size) / 2 + ASCENT * self.size
        return ''.join(
            '<text x="%s" y="%s" text-anchor="middle" font-size="%d" '
            'font-family="sans-serif" fill="%s">%s</text>'
            % (_num(cx), _num(first + i * self.line_height + offset), self.size, fill,
               escape(line)) for i, line in enumerate(self.lines))


class Placer:
    """Boxes already on the canvas, and free places for new ones."""

    def __init__(self):
        self.taken = []

    def take(self, x, y, w, h):
        self.taken.append((x, y, w, h))

    def free(self, x, y, w, h):
        return y >= 2 and x >= 2 and not any(
            x < ox + ow and ox < x + w and y < oy + oh and oy < y + h
            for ox, oy, ow, oh in self.taken)

    def place(self, cx, cy, w, h):
        """The top left of a ``w`` x ``h`` box nearest to being centred on
        ``(cx, cy)`` that covers nothing taken: tried at the ideal place,
        then a little below and above, further each time (below, the
        canvas is always free in the end)."""
        x = max(2, cx - w / 2)
        y = cy - h / 2
        for step in range(0, 100000):
            dy = (step + 1) // 2 * NUDGE * (1 if step % 2 else -1)
            if self.free(x, y + dy, w, h):
                self.take(x, y + dy, w, h)
                return x, y + dy
        raise AssertionError('no place for a label')       # pragma: no cover


def _num(value):
    return ('%.1f' % value).rstrip('0').rstrip('.')


def _columns(workflow):
    depth = {workflow.initial_state: 0}
    queue = deque([workflow.initial_state])
    while queue:
        sid = queue.popleft()
        for t in workflow.transitions_from(sid):
            if t.to_state not in depth and workflow.has_state(t.to_state):
                depth[t.to_state] = depth[sid] + 1
                queue.append(t.to_state)
    last = max(depth.values(), default=0)
    for state in workflow.states:          # unreachable states: a last column
        depth.setdefault(state.id, last + 1)
    columns = {}
    for state in workflow.states:
        columns.setdefault(depth[state.id], []).append(state)
    return columns


def render_svg(workflow):
    columns = _columns(workflow)
    names = {state.id: Label(state.title, STATE_FONT, STATE_LINE, STATE_TEXT_MAX,
                             STATE_PAD_X, STATE_PAD_Y) for state in workflow.states}
    steps = {t.id: Label(t.title, STEP_FONT, STEP_LINE, STEP_TEXT_MAX,
                         LABEL_PAD_X, LABEL_PAD_Y) for t in workflow.transitions}
    box_w = max([MIN_BOX_W] + [label.w for label in names.values()])
    box_h = max([MIN_BOX_H] + [label.h for label in names.values()])
    # Room between columns for the widest step label, with air either side.
    col_gap = max([MIN_COL_GAP] + [label.w + 40 for label in steps.values()])
    pos = {}
    for col, states in columns.items():
        for row, state in enumerate(states):
            pos[state.id] = (MARGIN + col * (box_w + col_gap),
                             MARGIN + 20 + row * (box_h + ROW_GAP))
    placer = Placer()
    for x, y in pos.values():
        placer.take(x, y, box_w, box_h)
    grid_bottom = max([y + box_h for _, y in pos.values()], default=MARGIN)
    geometry = Geometry(box_w, box_h, grid_bottom)
    arrows, right, bottom = [], 0, grid_bottom
    for t in workflow.transitions:
        for source in t.from_states:
            if source in pos and t.to_state in pos:
                path, (cx, cy), low = geometry.arrow(pos[source], pos[t.to_state])
                label = steps[t.id]
                x, y = placer.place(cx, cy, label.w, label.h)
                arrows.append((path, label, x, y))
                right = max(right, x + label.w)
                bottom = max(bottom, low, y + label.h)
    width = math.ceil(max(right, MARGIN + (max(columns) + 1) * (box_w + col_gap) - col_gap)
                      + MARGIN)
    height = math.ceil(bottom + MARGIN)
    out = ['<svg xmlns="http://www.w3.org/2000/svg" class="workflow-diagram" role="img" '
           'viewBox="0 0 %d %d" width="%d" height="%d" aria-labelledby="wf-title wf-desc">'
           % (width, height, width, height),
           '<title id="wf-title">%s</title>' % escape(workflow.title),
           '<desc id="wf-desc">%s</desc>' % escape(describe(workflow)),
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" '
           'markerWidth="8" markerHeight="8" orient="auto-start-reverse">'
           '<path d="M0,0 L10,5 L0,10 z" fill="#1d2530"/></marker></defs>']
    for path, label, x, y in arrows:
        out.append('<g class="transition"><path d="%s" fill="none" stroke="#1d2530" '
                   'stroke-width="1.5" marker-end="url(#arrow)"/>' % path)
        # The label on a white ground, so an arrow under it does not cross its words.
        out.append('<g class="label"><rect x="%s" y="%s" width="%d" height="%d" rx="3" '
                   'fill="#fff" fill-opacity="0.92"/>%s</g></g>'
                   % (_num(x), _num(y), label.w, label.h,
                      label.texts(x + label.w / 2, y, label.h, '#4a5566')))
    for state in workflow.states:
        x, y = pos[state.id]
        initial = state.id == workflow.initial_state
        final = not workflow.transitions_from(state.id)
        out.append('<g class="state" data-state="%s">' % escape(state.id))
        out.append('<rect x="%d" y="%d" width="%d" height="%d" rx="8" fill="%s" '
                   'stroke="#1d2530" stroke-width="%d"/>'
                   % (x, y, box_w, box_h, '#e8eef7' if not final else '#f1f1f1',
                      3 if initial else 1))
        out.append(names[state.id].texts(x + box_w / 2, y, box_h, '#1d2530'))
        out.append('</g>')
    out.append('</svg>')
    return '\n'.join(out)


class Geometry:
    """The arrows between boxes of one size: forward, a straight line
    between columns; within a column, a straight line down or up; back
    to an earlier column (or to the same state), a curve that dips a
    little lower than the one before, below every box, so no two share a
    curve."""

    def __init__(self, box_w, box_h, grid_bottom):
        self.box_w, self.box_h, self.grid_bottom = box_w, box_h, grid_bottom
        self.back = 0

    def arrow(self, a, b):
        """``(path, label centre, lowest y)`` of the arrow from box ``a`` to ``b``."""
        (ax, ay), (bx, by) = a, b
        w, h = self.box_w, self.box_h
        if bx > ax:       # forward: right edge to left edge
            x1, y1, x2, y2 = ax + w, ay + h // 2, bx, by + h // 2
            return ('M%d,%d L%d,%d' % (x1, y1, x2, y2), ((x1 + x2) / 2, (y1 + y2) / 2),
                    max(y1, y2))
        if bx == ax and by != ay:     # same column: straight down or up
            x = ax + w // 2 + (12 if by > ay else -12)
            y1, y2 = (ay + h, by) if by > ay else (ay, by + h)
            # The label beside the line, on the side it leans to.
            side = 1 if by > ay else -1
            return ('M%d,%d L%d,%d' % (x, y1, x, y2), (x + side * (w // 4), (y1 + y2) / 2),
                    max(y1, y2))
        x1, y1 = ax + w // 2 + 10, ay + h
        x2, y2 = bx + w // 2 - 10, by + h
        dip = self.grid_bottom + 36 + self.back * 22
        self.back += 1
        path = 'M%d,%d C%d,%d %d,%d %d,%d' % (x1, y1, x1, dip, x2, dip, x2, y2)
        # The curve's lowest point (t = 1/2).
        low = (y1 + y2) / 8 + dip * 3 / 4
        return path, ((x1 + x2) / 2, low), low


def describe(workflow):
    """The diagram in words, for screen readers."""
    parts = ['Starts in %s.' % workflow.state(workflow.initial_state).title
             if workflow.has_state(workflow.initial_state) else '']
    for t in workflow.transitions:
        sources = ', '.join(workflow.state(s).title for s in t.from_states
                            if workflow.has_state(s))
        target = workflow.state(t.to_state).title if workflow.has_state(t.to_state) else t.to_state
        parts.append('%s: from %s to %s.' % (t.title, sources, target))
    return ' '.join(p for p in parts if p)
