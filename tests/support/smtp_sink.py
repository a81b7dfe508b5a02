#!/usr/bin/python3
"""smtp_sink.py - a minimal SMTP server for the e-mail tests.

Listens on 127.0.0.1 (port 0: the kernel picks), prints the port on one
line of stdout once it accepts connections, and speaks enough SMTP (RFC
5321) for a client to deliver: EHLO/HELO, MAIL FROM, RCPT TO, DATA, RSET,
NOOP, QUIT, and optionally STARTTLS (RFC 3207) and AUTH PLAIN (RFC 4954).
Every message accepted or refused at the end of DATA is appended to --log
as one JSON line (event "message": helo, mail_from, rcpt, data, tls,
auth_user, reply), and every session as one line (event "session": the
commands seen, AUTH arguments withheld), fsynced.

  --starttls --tls-cert C --tls-key K   offer STARTTLS with this certificate
  --auth-password-file F   offer AUTH PLAIN (after STARTTLS only) and accept
                           any user with this password
  --reply-mail N / --reply-rcpt N / --reply-data N   answer N to that command
  --fail-first N           answer 451 at the end of DATA to the first N
                           messages
  --reply-end N            answer N at the end of DATA (default 250)

Debian's /usr/bin/python3 standard library only (not the deprecated smtpd).
"""

import argparse
import base64
import hmac
import json
import os
import socketserver
import ssl
import sys
import threading
import time

LINE_MAX = 1000 + 2          # RFC 5321 4.5.3.1.6, with the CRLF
MESSAGE_MAX = 10 * 1024 * 1024

log_lock = threading.Lock()
count_lock = threading.Lock()
message_count = [0]


def log(server, entry):
    line = json.dumps(entry, sort_keys=True)
    with log_lock:
        server.log.write(line + "\n")
        server.log.flush()
        os.fsync(server.log.fileno())


class Session(socketserver.StreamRequestHandler):
    timeout = 30

    def reply(self, text):
        self.wfile.write((text + "\r\n").encode())
        self.wfile.flush()

    def readline(self):
        line = self.rfile.readline(LINE_MAX + 1)
        if len(line) > LINE_MAX:
            raise ValueError("line too long")
        return line

    def reset(self):
        self.mail_from = None
        self.rcpt = []

    def handle(self):
        opts = self.server.opts
        self.tls = False
        self.helo = None
        self.auth_user = None
        self.commands = []
        self.reset()
        self.logged = False
        self.reply("220 smtp_sink ESMTP ready")
        try:
            self.converse(opts)
        except (ValueError, OSError, ssl.SSLError) as e:
            self.commands.append("! " + type(e).__name__)
        self.log_session()

    def log_session(self):
        if not self.logged:
            self.logged = True
            log(self.server, {"event": "session", "tls": self.tls,
                              "commands": self.commands})

    def converse(self, opts):
        while True:
            raw = self.readline()
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            self.commands.append("AUTH <withheld>" if verb == "AUTH"
                                 else line)
            if verb in ("EHLO", "HELO"):
                self.helo = arg
                self.reset()
                if verb == "HELO":
                    self.reply("250 smtp_sink")
                    continue
                lines = ["smtp_sink", "8BITMIME", "SIZE %d" % MESSAGE_MAX]
                if opts.starttls and not self.tls:
                    lines.append("STARTTLS")
                if opts.auth_password is not None and self.tls:
                    lines.append("AUTH PLAIN")
                for i, text in enumerate(lines):
                    sep = " " if i == len(lines) - 1 else "-"
                    self.reply("250" + sep + text)
            elif verb == "STARTTLS" and opts.starttls and not self.tls:
                self.reply("220 go ahead")
                self.connection = self.server.tls.wrap_socket(
                    self.connection, server_side=True)
                self.rfile = self.connection.makefile("rb")
                self.wfile = self.connection.makefile("wb")
                self.tls = True
                self.helo = None
                self.reset()
            elif verb == "AUTH" and opts.auth_password is not None \
                    and self.tls:
                self.auth(arg, opts)
            elif verb == "MAIL":
                if opts.reply_mail:
                    self.reply("%d mail refused" % opts.reply_mail)
                    continue
                self.reset()
                self.mail_from = arg[5:] if arg.upper().startswith(
                    "FROM:") else arg
                self.reply("250 ok")
            elif verb == "RCPT":
                if self.mail_from is None:
                    self.reply("503 MAIL first")
                elif opts.reply_rcpt:
                    self.reply("%d recipient refused" % opts.reply_rcpt)
                else:
                    self.rcpt.append(arg[3:] if arg.upper().startswith(
                        "TO:") else arg)
                    self.reply("250 ok")
            elif verb == "DATA":
                if opts.reply_data:
                    self.reply("%d data refused" % opts.reply_data)
                elif not self.rcpt:
                    self.reply("503 RCPT first")
                else:
                    self.reply("354 end with <CRLF>.<CRLF>")
                    self.data(opts)
            elif verb == "RSET":
                self.reset()
                self.reply("250 ok")
            elif verb == "NOOP":
                self.reply("250 ok")
            elif verb == "QUIT":
                # Logged before the answer: once the client has it, the
                # log is complete.
                self.log_session()
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")

    def auth(self, arg, opts):
        mech, _, initial = arg.partition(" ")
        if mech.upper() != "PLAIN":
            self.reply("504 PLAIN only")
            return
        if not initial:
            self.reply("334 ")
            initial = self.readline().decode().strip()
        try:
            _, user, password = base64.b64decode(initial).split(b"\0")
        except ValueError:
            self.reply("501 malformed")
            return
        if hmac.compare_digest(password, opts.auth_password):
            self.auth_user = user.decode("utf-8", "replace")
            self.reply("235 ok")
        else:
            self.reply("535 authentication failed")

    def data(self, opts):
        lines = []
        size = 0
        while True:
            raw = self.readline()
            if not raw:
                raise ValueError("connection closed in DATA")
            if raw in (b".\r\n", b".\n"):
                break
            if raw.startswith(b"."):
                raw = raw[1:]   # RFC 5321 4.5.2: undo dot-stuffing
            size += len(raw)
            if size > MESSAGE_MAX:
                raise ValueError("message too large")
            lines.append(raw)
        with count_lock:
            message_count[0] += 1
            n = message_count[0]
        code = 451 if n <= opts.fail_first else opts.reply_end
        log(self.server, {
            "event": "message", "helo": self.helo,
            "mail_from": self.mail_from, "rcpt": self.rcpt,
            "data": b"".join(lines).decode("utf-8", "replace"),
            "tls": self.tls, "auth_user": self.auth_user, "reply": code,
            "received_at": time.time(),
        })
        self.reply("%d %s" % (code, "queued" if code == 250 else "no"))
        self.reset()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def exit_with_parent():
    """Ends the sink when the test that started it is gone, even if the
    test was killed before it could stop the sink."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(0)
    threading.Thread(target=watch, daemon=True).start()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--log", required=True)
    p.add_argument("--starttls", action="store_true")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--auth-password-file")
    p.add_argument("--reply-mail", type=int, default=0)
    p.add_argument("--reply-rcpt", type=int, default=0)
    p.add_argument("--reply-data", type=int, default=0)
    p.add_argument("--reply-end", type=int, default=250)
    p.add_argument("--fail-first", type=int, default=0)
    p.add_argument("--port", type=int, default=0)
    opts = p.parse_args()
    opts.auth_password = None
    if opts.auth_password_file:
        with open(opts.auth_password_file, "rb") as f:
            opts.auth_password = f.read().rstrip(b"\r\n")

    server = Server(("127.0.0.1", opts.port), Session)
    server.opts = opts
    server.log = open(opts.log, "a", encoding="utf-8")
    if opts.starttls:
        server.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.tls.load_cert_chain(opts.tls_cert, opts.tls_key)
    exit_with_parent()
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
