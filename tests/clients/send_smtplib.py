"""A test send with Python's smtplib, configured from the environment as a script would be;
on a failure it prints the traceback's last line (what people paste) and exits 1.

The same variables as send_nodemailer.js (OK_AUTH: LOGIN or PLAIN; XOAUTH2 is not
smtplib's).
"""

import os
import smtplib
import ssl
import sys
from email.message import EmailMessage

env = os.environ
msg = EmailMessage()
msg["From"], msg["To"], msg["Subject"] = env["OK_FROM"], env["OK_TO"], "smtplib test"
msg.set_content("Hello.\n")
context = ssl.create_default_context(cafile=env.get("OK_CA") or None)
try:
    kind = smtplib.SMTP_SSL if env["OK_TLS"] == "implicit" else smtplib.SMTP
    extra = {"context": context} if env["OK_TLS"] == "implicit" else {}
    with kind(env["OK_HOST"], int(env["OK_PORT"]), timeout=10, **extra) as smtp:
        if env["OK_TLS"] == "starttls":
            smtp.starttls(context=context)
        if env["OK_AUTH"] == "PLAIN":
            smtp.ehlo_or_helo_if_needed()  # as login() would, but with the mechanism forced
            smtp.user, smtp.password = env["OK_USER"], env["OK_SECRET"]
            smtp.auth("PLAIN", smtp.auth_plain)
        else:
            smtp.login(env["OK_USER"], env["OK_SECRET"])
        smtp.send_message(msg)
except Exception as exc:  # what a script's traceback ends with
    print(f"{type(exc).__module__}.{type(exc).__name__}: {exc}", file=sys.stderr)
    sys.exit(1)
print("sent")
