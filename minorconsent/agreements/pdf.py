"""Signed agreements as PDF: the text, the signature blocks, and a
certificate page with the event trail.

Built from an ``AgreementRecord`` (plain data, the whitelist projection in
``agreement_record``), never from persistent objects.
The copy stored with the agreement at activation (a ZODB blob) is the full
certificate of the document as signed.  The clinic's download
(``clinic_copy``) and a signer's copy are rendered on demand from the
current state and events; a signer's copy shows only that signer's own IP
address and browser: a parent must not learn where the other parent
signed from.

The fonts (``documentpdf``): DejaVu Sans, and Noto Sans CJK for names in
Chinese, Japanese or Korean script; a character neither draws is written
as its code point, never dropped.
"""
import hashlib

from pyramid.response import Response
from ZODB.blob import Blob

from minorconsent.audit.recorder import note
from minorconsent.site import find_clinic
from minorconsent.site.i18n import _
from minorconsent.workflow.engine import definition_of

from .agreement_record import (  # noqa: F401 (the projection, for pdf's users)
    AgreementRecord, EventLine, SignatureLine, for_signer, full_record)
from .documentpdf import FONTS, DocumentPDF  # noqa: F401 (FONTS: older imports)
from .model import authentication_words


def clinic_copy(agreement, clinic, t=None):
    """The clinic's copy as it stands now: the full certificate rendered on
    download from the agreement's current state and events.

    Why on download: the copy stored at activation (``agreement.pdf``, a
    blob whose hash the FHIR export carries) is the document as it was
    signed, and stays unchanged as that record; but a certificate rendered
    only then would still say "Active" after a revocation, a supersession,
    an expiry or an end, without the event that did it.  Rendering the
    certificate when someone asks for it always shows the present state
    and every event, without a new blob per change (a blob rendered on
    every step would still miss a date-based end, which no step marks).
    """
    state_title = definition_of(agreement).state(agreement.state).title
    return render(full_record(agreement, clinic, state_title), t or _same)


def store_pdf(agreement):
    """Render the signed agreement and keep it as a blob beside it (when it
    activates: ``subscribers``)."""
    state_title = definition_of(agreement).state(agreement.state).title
    data = render(full_record(agreement, find_clinic(agreement), state_title))
    agreement.pdf = Blob(data)
    agreement.pdf_sha256 = text_hash_bytes(data)
    # The signed document's hash on the chain, not only beside the PDF in
    # the clinic's (mutable) database.
    note(agreement, 'agreement.document_stored', actor='system',
         detail='%s v%s pdf sha256 %s text sha256 %s' % (
             agreement.kind, agreement.template_version, agreement.pdf_sha256,
             agreement.text_sha256))


def pdf_response(data):
    """``data`` as a download (the clinic's copy, a signer's copy)."""
    response = Response(data, content_type='application/pdf')
    # No names in file names: downloads folders are as public as histories.
    response.content_disposition = 'attachment; filename="agreement.pdf"'
    return response


def text_hash_bytes(data):
    return hashlib.sha256(data).hexdigest()


def _same(text, mapping=None):
    return _(text, mapping=mapping).interpolate()


def how_signed(line, t=_same):
    """How a signature was made, in the words of the signature block (and
    of the agreement's staff page)."""
    if line.paper_signed_on:
        return t('Signed on paper on ${date}, witnessed by ${witness}, recorded by ${staff}',
                 {'date': line.paper_signed_on, 'witness': line.witness,
                  'staff': line.recorded_by})
    return t('Signed electronically ${time}', {'time': line.time})


def period_words(record, t=_same):
    """The period in force (``validity``), on the first page and the
    certificate, or '' where the agreement has none."""
    if record.valid_until:
        return t('In force from ${start} until ${end} (inclusive).',
                 {'start': record.valid_from or '?', 'end': record.valid_until})
    if record.valid_from:
        return t('In force from ${start}, with no end date.', {'start': record.valid_from})
    return ''


def render(record, t=_same):
    """The PDF bytes of ``record``.  ``t`` translates the PDF's own labels
    (a signer's copy is in the signer's language); the agreement text and
    the names stay exactly as signed."""
    pdf = DocumentPDF(t(record.title))
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    pdf.set_font('DejaVu', 'B', 16)
    pdf.multi_cell(0, 9, t(record.title), new_x='LMARGIN', new_y='NEXT')
    pdf.set_font('DejaVu', '', 10)
    lines = [record.practice,
             t('Client: ${name}, born ${date}', {'name': record.client_name,
                                                 'date': record.client_birth_date})]
    parties = record.parties
    if parties is not None:
        # The text speaks of "the child" and "the therapist named in this
        # agreement": they are named here (issue 16, item 6).
        if parties.child != record.client_name:
            lines.append(t('Known as: ${name}', {'name': parties.child}))
        if parties.therapists:
            lines.append(t('Therapist: ${names}', {'names': parties.therapists}))
    lines.append(t('Status: ${state}', {'state': t(record.state_title)}))
    if period_words(record, t):
        lines.append(period_words(record, t))
    pdf.multi_cell(0, 6, '\n'.join(lines), new_x='LMARGIN', new_y='NEXT')
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
        pdf.multi_cell(0, 5, '%s\n%s' % (s.authority, how_signed(s, t)),
                       new_x='LMARGIN', new_y='NEXT')
        pdf.ln(2)
    pdf.add_page()
    pdf.set_font('DejaVu', 'B', 14)
    pdf.cell(0, 9, t('Certificate'), new_x='LMARGIN', new_y='NEXT')
    pdf.set_font('DejaVu', '', 9)
    pdf.multi_cell(0, 5, t('Text version ${version}, SHA-256 of the exact text signed:',
                           {'version': record.template_version}) + '\n%s\n' % record.text_sha256
                   + t('Workflow version ${version}.', {'version': record.workflow_version})
                   + ('\n' + period_words(record, t) if period_words(record, t) else ''),
                   new_x='LMARGIN', new_y='NEXT')
    pdf.ln(3)
    for s in record.signatures:
        if s.paper_signed_on:
            pdf.multi_cell(0, 5, t(
                'Signed by ${name} (${authority}) on paper on ${date}, witnessed by '
                '${witness}, recorded by ${staff} at ${time}.', {
                    'name': s.name, 'authority': s.authority, 'date': s.paper_signed_on,
                    'witness': s.witness, 'staff': s.recorded_by, 'time': s.time}),
                new_x='LMARGIN', new_y='NEXT')
            pdf.ln(1)
            continue
        detail = t('Signed by ${name} (${authority}) at ${time}',
                   {'name': s.name, 'authority': s.authority, 'time': s.time})
        if s.ip:
            detail += t(', from ${ip}, ${browser}',
                        {'ip': s.ip, 'browser': s.user_agent or t('unknown browser')})
        detail += t('. Agreed to sign electronically and confirmed the intent to sign.')
        detail += ' ' + t(str(authentication_words(s.authenticated_by)))
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
