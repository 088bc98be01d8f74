"""An SMTP server that requires STARTTLS and a login, for the mail tests
(aiosmtpd's command line has no AUTH):

    python tests/smtp_auth_server.py PORT MAILDIR CERT KEY USER PASSWORD

Every message it accepts from the one user goes into MAILDIR."""
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword


def main(port, folder, cert, key, user, password):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == user.encode() and auth_data.password == password.encode())
        # handled=False: the server answers 235 or 535 itself.
        return AuthResult(success=ok, handled=False)

    controller = Controller(Mailbox(folder), hostname='127.0.0.1', port=int(port),
                            tls_context=context, require_starttls=True,
                            authenticator=authenticator, auth_required=True,
                            auth_require_tls=True)
    controller.start()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == '__main__':
    main(*sys.argv[1:])
