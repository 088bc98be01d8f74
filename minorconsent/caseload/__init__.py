"""Caseload: the clinic's clients, guardians and therapists come in from a
file and go out again (issue 18).

``columns``: the one list of caseload columns and their vocabularies, shared
by the import and the export (so import -> export -> import changes nothing);
the import reads, checks every row, then writes in batches; the export writes
the same columns plus the agreements, summaries, audit trail and a FHIR
Bundle.  This module registers the admin's upload page.
"""


def includeme(config):
    config.scan('.')
