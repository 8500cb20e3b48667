#!/usr/bin/env python3
"""A real SMTP server on loopback for the notification worker's tests (aiosmtpd).

Writes its port to DIR/port once it listens, then keeps every message it accepts as DIR/<n>.eml,
with its envelope in DIR/<n>.json. Recipients steer it, so tests can play a provider's failures:
  refuse@…    RCPT answered 550 5.1.1 (a permanent refusal)
  tempfail@…  RCPT answered 451 4.3.0 the first time, accepted after
  slow@…      DATA answered after 1 s (a relay under load)
"""
import argparse, asyncio, json, os, signal, socket, threading, time

from aiosmtpd.controller import Controller


class Keeper:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0
        self.sessions = 0
        self.deferred = set()
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        # One EHLO per SMTP session: the count says how often a client connected anew.
        session.host_name = hostname
        with self.lock:
            self.sessions += 1
            with open(os.path.join(self.directory, "sessions"), "w") as f:
                f.write(str(self.sessions))
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0].lower()
        if local.startswith("refuse"):
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        if local.startswith("tempfail") and address not in self.deferred:
            self.deferred.add(address)
            return "451 4.3.0 <%s>: Temporary lookup failure, try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if any(a.split("@")[0].lower().startswith("slow") for a in envelope.rcpt_tos):
            await asyncio.sleep(1.0)
        with self.lock:
            self.count += 1
            n = self.count
        base = os.path.join(self.directory, "%06d" % n)
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        with open(base + ".json", "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos}, f)
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 2.0.0 Ok: queued as SB%06d" % n


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    # A test process may ignore SIGTERM itself, and an ignored signal stays ignored across exec.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    port = args.port or free_port()
    controller = Controller(Keeper(args.dir), hostname="127.0.0.1", port=port,
                            decode_data=False, enable_SMTPUTF8=True, data_size_limit=10 * 1024 * 1024)
    controller.start()
    with open(os.path.join(args.dir, "port.tmp"), "w") as f:
        f.write(str(port))
    os.rename(os.path.join(args.dir, "port.tmp"), os.path.join(args.dir, "port"))
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
