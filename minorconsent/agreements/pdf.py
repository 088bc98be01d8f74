"""Signed agreements as PDF: the text, the signature blocks, and a
certificate page with the event trail.

Built from an ``AgreementRecord`` (plain data), never from persistent
objects.  The copy stored with the agreement (a ZODB blob) is the full
certificate, for the clinic.  A signer's copy is rendered on demand and
shows only that signer's own IP address and browser: a parent must not
learn where the other parent signed from.

The DejaVu Sans fonts in ``fonts/`` (Bitstream Vera licence) cover the
scripts of names that Latin-1 core fonts cannot.
"""
from dataclasses import dataclass, replace
from importlib.resources import files

from fpdf import FPDF

from minorconsent.site.i18n import _

FONTS = files(__package__) / 'fonts'


@dataclass(frozen=True)
class SignatureLine:
    signer_id: str
    name: str
    authority: str
    time: str
    ip: str
    user_agent: str


@dataclass(frozen=True)
class EventLine:
    time: str
    kind: str
    actor: str
    ip: str
    actor_id: str


@dataclass(frozen=True)
class AgreementRecord:
    title: str
    client_name: str
    client_birth_date: str
    practice: str
    text: str
    text_sha256: str
    template_version: int
    workflow_version: int
    state_title: str
    signatures: tuple
    events: tuple


def record_of(agreement, clinic, state_title):
    users = clinic['users']
    client = agreement.workflow_client()

    def when(moment):
        return moment.strftime('%Y-%m-%d %H:%M:%S UTC')
    return AgreementRecord(
        title=agreement.title, client_name=client.full_name,
        client_birth_date=client.date_of_birth.isoformat(),
        practice=clinic.settings.name, text=agreement.text,
        text_sha256=agreement.text_sha256, template_version=agreement.template_version,
        workflow_version=agreement.workflow_version, state_title=state_title,
        signatures=tuple(SignatureLine(s.signer_id, s.typed_name, s.authority, when(s.time),
                                       s.ip, s.user_agent)
                         for s in agreement.signatures.values()),
        events=tuple(EventLine(when(e.time), e.kind,
                               users[e.actor_id].display_name if e.actor_id in users
                               else e.actor_id, e.ip, e.actor_id)
                     for e in agreement.event_list()))


def for_signer(record, signer_id):
    """The record with every other person's IP address and browser removed."""
    return replace(
        record,
        signatures=tuple(s if s.signer_id == signer_id else replace(s, ip='', user_agent='')
                         for s in record.signatures),
        events=tuple(e if e.actor_id == signer_id else replace(e, ip='')
                     for e in record.events))


def _same(text, mapping=None):
    return _(text, mapping=mapping).interpolate()


def render(record, t=_same):
    """The PDF bytes of ``record``.  ``t`` translates the PDF's own labels
    (a signer's copy is in the signer's language); the agreement text and
    the names stay exactly as signed."""
    pdf = FPDF(format='A4')
    pdf.set_title(t(record.title))
    pdf.set_creator('minorconsent')
    pdf.add_font('DejaVu', '', str(FONTS / 'DejaVuSans.ttf'))
    pdf.add_font('DejaVu', 'B', str(FONTS / 'DejaVuSans-Bold.ttf'))
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    pdf.set_font('DejaVu', 'B', 16)
    pdf.multi_cell(0, 9, t(record.title), new_x='LMARGIN', new_y='NEXT')
    pdf.set_font('DejaVu', '', 10)
    pdf.multi_cell(0, 6, '%s\n%s\n%s' % (
        record.practice,
        t('Client: ${name}, born ${date}', {'name': record.client_name,
                                             'date': record.client_birth_date}),
        t('Status: ${state}', {'state': t(record.state_title)})),
        new_x='LMARGIN', new_y='NEXT')
    pdf.ln(4)
    pdf.set_font('DejaVu', '', 11)
    pdf.multi_cell(0, 6, record.text, new_x='LMARGIN', new_y='NEXT')
    pdf.ln(6)
    pdf.set_font('DejaVu', 'B', 12)
    pdf.cell(0, 8, t('Signatures'), new_x='LMARGIN', new_y='NEXT')
    for s in record.signatures:
        pdf.set_font('DejaVu', 'B', 11)
        pdf.multi_cell(0, 6, s.name, new_x='LMARGIN', new_y='NEXT')
        pdf.set_font('DejaVu', '', 10)
        pdf.multi_cell(0, 5, '%s\n%s' % (s.authority, t('Signed electronically ${time}',
                                                          {'time': s.time})),
                       new_x='LMARGIN', new_y='NEXT')
        pdf.ln(2)
    pdf.add_page()
    pdf.set_font('DejaVu', 'B', 14)
    pdf.cell(0, 9, t('Certificate'), new_x='LMARGIN', new_y='NEXT')
    pdf.set_font('DejaVu', '', 9)
    pdf.multi_cell(0, 5, t('Text version ${version}, SHA-256 of the exact text signed:',
                           {'version': record.template_version}) + '\n%s\n' % record.text_sha256
                   + t('Workflow version ${version}.', {'version': record.workflow_version}),
                   new_x='LMARGIN', new_y='NEXT')
    pdf.ln(3)
    for s in record.signatures:
        detail = t('Signed by ${name} (${authority}) at ${time}',
                   {'name': s.name, 'authority': s.authority, 'time': s.time})
        if s.ip:
            detail += t(', from ${ip}, ${browser}',
                        {'ip': s.ip, 'browser': s.user_agent or t('unknown browser')})
        detail += t('. Agreed to sign electronically and confirmed the intent to sign.')
        pdf.multi_cell(0, 5, detail, new_x='LMARGIN', new_y='NEXT')
        pdf.ln(1)
    pdf.ln(2)
    pdf.set_font('DejaVu', 'B', 10)
    pdf.cell(0, 6, t('Events (UTC)'), new_x='LMARGIN', new_y='NEXT')
    pdf.set_font('DejaVu', '', 9)
    for e in record.events:
        line = '%s  %s  %s' % (e.time, t(e.kind), t('by ${actor}', {'actor': e.actor}))
        if e.ip:
            line += '  (%s)' % e.ip
        pdf.multi_cell(0, 5, line, new_x='LMARGIN', new_y='NEXT')
    return bytes(pdf.output())
