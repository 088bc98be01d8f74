"""minorconsent-init: create the clinic and its first admin account."""
import argparse
import getpass
import sys

import colander

from minorconsent.accounts import User
from minorconsent.security.passwords import password_problem
from minorconsent.site.dates import is_time_zone
from minorconsent.site.schemas import SettingsSchema

from .common import clinic_transaction


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog='minorconsent-init',
        description='Create the clinic in the configured database and its '
                    'first clinic admin.  Does nothing to an existing admin.')
    parser.add_argument('config_uri', help='e.g. development.ini')
    parser.add_argument('--email', required=True, help="the admin's sign-in address")
    parser.add_argument('--name', default='Clinic admin', help="the admin's full name")
    parser.add_argument('--password', help='omit to be asked (not echoed)')
    parser.add_argument('--clinic-name', help="the clinic's name")
    parser.add_argument('--phone', help='the phone number families call (shown to them)')
    parser.add_argument('--contact-email', help='the address families write to (shown to them)')
    parser.add_argument('--time-zone', help="the clinic's time zone, e.g. America/Chicago "
                                            '(default UTC; the admin can change it)')
    return parser.parse_args(argv)


PLACEHOLDER_WORDS = {'name': 'name', 'contact_phone': 'phone number',
                     'contact_email': 'contact address'}


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    password = args.password or getpass.getpass('Password for %s: ' % args.email)
    if args.time_zone and not is_time_zone(args.time_zone):
        print('time zone: %s is not a time zone name such as America/Chicago.'
              % args.time_zone, file=sys.stderr)
        return 2
    for option, field in (('phone', 'contact_phone'), ('contact_email', 'contact_email'),
                          ('clinic_name', 'name')):
        value = getattr(args, option)
        if value is not None:
            try:
                SettingsSchema()[field].deserialize(value)
            except colander.Invalid as exc:
                print('%s: %s' % (option.replace('_', '-'), exc.asdict()[field]),
                      file=sys.stderr)
                return 2
    problem = password_problem(password, args.email)
    if problem:
        print('password: ' + problem.interpolate(), file=sys.stderr)
        return 2
    with clinic_transaction(args.config_uri) as (clinic, request):
        if args.clinic_name:
            clinic.settings.update(name=args.clinic_name)
        if args.time_zone:
            clinic.settings.update(time_zone=args.time_zone)
        if args.phone:
            clinic.settings.update(contact_phone=args.phone)
        if args.contact_email:
            clinic.settings.update(contact_email=args.contact_email)
        left = clinic.settings.placeholders_left()
        users = clinic['users']
        existing = users.find_by_email(args.email)
        if existing is not None:
            print('An account for %s already exists; nothing changed.' % args.email)
            return 0
        admin = User(args.email, args.name, ['admin'])
        admin.password_hash = request.registry.passwords.hash(password)
        users.add_user(admin)
        two_factor = clinic.settings.staff_two_factor
    print('Created the clinic admin %s.' % args.email)
    if left:
        print('Warning: the clinic still shows the demo clinic\'s %s. Families read them on '
              'every page and document: set them at /settings (or run again with '
              '--clinic-name, --phone, --contact-email).'
              % ', '.join(PLACEHOLDER_WORDS[key] for key in left))
    if two_factor:
        print('Staff sign in with a second factor (clinic setting): at the first '
              'sign-in you set up an authenticator app.')
    return 0


if __name__ == '__main__':  # pragma: no cover
    sys.exit(main())
