#!/usr/bin/env python3
"""A real HTTP provider on loopback for the notification worker's tests (Python's http.server).

Writes its port to DIR/port once it listens. Two wire formats:
  POST /webhook…  Switchboard's signed JSON webhook: the signature (HMAC-SHA256 over
                  "<timestamp>.<body>", within 5 minutes) and an Idempotency-Key are required
                  (401 / 400 without). One effect per key: a repeated key answers the first id.
  POST /2010-04-01/Accounts/<SID>/Messages.json
                  Twilio's Messages API: HTTP Basic auth with the account SID and token, a form
                  with To, Body and From or MessagingServiceSid; answers 201 with a sid. To
                  +15005550001 is refused with Twilio's error 21211 (not a valid number).
Every request is logged to DIR/requests.jsonl, every effect (a message the provider would
deliver) to DIR/effects.jsonl. POST /control {"status": 503, "count": 3, "retry_after": "2"}
makes the next `count` message requests fail with that status (count -1: until told otherwise).
"""
import argparse, base64, hashlib, hmac, json, os, signal, threading, time, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class State:
    def __init__(self, directory, secret, account, token):
        self.directory, self.secret, self.account, self.token = directory, secret, account, token
        self.lock = threading.Lock()
        self.effects = {}          # idempotency key (or a fresh id) -> message id
        self.failures = None       # {"status", "count", "retry_after"}
        # A restarted peer remembers the effects of its earlier life, as a real provider would.
        path = os.path.join(directory, "effects.jsonl")
        if os.path.exists(path):
            with open(path) as f:
                for line in f:
                    record = json.loads(line)
                    self.effects[record["effect_key"]] = record["message_id"]

    def log(self, name, record):
        with open(os.path.join(self.directory, name), "a") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")

    def failure(self):
        with self.lock:
            f = self.failures
            if not f or f["count"] == 0:
                return None
            if f["count"] > 0:
                f["count"] -= 1
            return f

    def effect(self, key, record):
        """The message id of the effect of `key`, made (and logged) on the first request only."""
        with self.lock:
            if key in self.effects:
                return self.effects[key], False
            message_id = "msg-%d" % (len(self.effects) + 1)
            self.effects[key] = message_id
            record["message_id"] = message_id
            record["effect_key"] = key
            self.log("effects.jsonl", record)
            return message_id, True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, payload, headers=()):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        state = self.server.state
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/control":
            with state.lock:
                state.failures = json.loads(body) if body else None
            return self.answer(200, {"ok": True})
        key = self.headers.get("Idempotency-Key")
        state.log("requests.jsonl", {"path": self.path, "key": key, "at": time.time()})
        failure = state.failure()
        if failure:
            headers = [("Retry-After", str(failure["retry_after"]))] if failure.get("retry_after") is not None else []
            return self.answer(failure["status"], {"error": "the test made this provider fail"}, headers)
        if self.path.startswith("/webhook"):
            return self.webhook(state, body, key)
        if self.path.startswith("/2010-04-01/Accounts/"):
            return self.twilio(state, body, key)
        self.answer(404, {"error": "no such endpoint"})

    def webhook(self, state, body, key):
        timestamp = self.headers.get("Switchboard-Timestamp", "")
        signature = self.headers.get("Switchboard-Signature", "")
        expected = "v1=" + hmac.new(state.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300 or not hmac.compare_digest(signature, expected):
            state.log("rejected.jsonl", {"why": "signature", "key": key})
            return self.answer(401, {"error": "bad signature"})
        if not key:
            return self.answer(400, {"error": "Idempotency-Key is required"})
        if self.headers.get("Content-Type") != "application/json":
            return self.answer(415, {"error": "JSON only"})
        message = json.loads(body)
        if message.get("to", "").startswith("gone"):
            return self.answer(410, {"error": "this recipient no longer exists"})
        message_id, _ = state.effect(key, {"key": key, "message": message})
        self.answer(200, {"id": message_id})

    def twilio(self, state, body, key):
        account = self.path.split("/")[3]
        expected = "Basic " + base64.b64encode(("%s:%s" % (state.account, state.token)).encode()).decode()
        if account != state.account or not hmac.compare_digest(self.headers.get("Authorization", ""), expected):
            return self.answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
        form = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode(), keep_blank_values=True).items()}
        if not form.get("To") or not form.get("Body") or not (form.get("From") or form.get("MessagingServiceSid")):
            return self.answer(400, {"code": 21604, "message": "A 'To', 'Body' and 'From' are required.", "status": 400})
        if form["To"] == "+15005550001":
            return self.answer(400, {"code": 21211, "message": "The 'To' number %s is not a valid phone number." % form["To"],
                                     "status": 400})
        # Twilio makes a message per request: a repeated request is a second effect.
        message_id, _ = state.effect("twilio:%d:%s" % (time.time_ns(), key), {"key": key, "form": form})
        sid = "SM" + hashlib.md5(message_id.encode()).hexdigest()
        self.answer(201, {"sid": sid, "status": "queued", "to": form["To"], "body": form["Body"]})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--secret", default="webhook-secret")
    parser.add_argument("--account", default="AC00000000000000000000000000000000")
    parser.add_argument("--token", default="twilio-token")
    args = parser.parse_args()
    # The test process ignores SIGTERM, and its children inherit that.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.state = State(args.dir, args.secret, args.account, args.token)
    with open(os.path.join(args.dir, "port.tmp"), "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(os.path.join(args.dir, "port.tmp"), os.path.join(args.dir, "port"))
    server.serve_forever()


if __name__ == "__main__":
    main()
