"""What waits for staff: the therapist's to-do list and the notices that
tell staff something needs them (issue 17 items 4 and 5)."""


def includeme(config):
    config.include('.evolve')
    config.include('.subscribers')
    config.include('.tasks')
    config.scan('.views')
