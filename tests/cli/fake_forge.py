"""A local HTTP server speaking the subset of the GitHub and GitLab APIs mlgate-comment uses:
paginated comment lists (Link headers), create, update; scripted 5xx/429 faults; token checks."""
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class Forge:
    def __init__(self, token, existing=0):
        self.token = token
        self.comments = [{"id": 1000 + i, "body": f"unrelated comment {i}"} for i in range(existing)]
        self.faults = []  # (method, status, headers) served before the real answer, in order
        self.log = []     # (time, method, path, status)
        self.next_id = 5000
        self.login = "mlgate-bot"    # the token's identity, as GET /user answers
        self.user_status = 200       # 403: an installation token (GitHub's Actions GITHUB_TOKEN)
        self.link = None             # a Link header served with the first page instead of the real one
        self.error = None            # (status, body text) served for every authorized request
        self.raw_list = None         # (status, raw bytes) served for the comment list
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def _handler(forge):
        class H(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def reply(self, status, body, headers=()):
                # Logged before the answer leaves, so a client that returns sees its request logged.
                forge.log.append((time.monotonic(), self.command, self.path, status))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def authorized(self):
                gh = self.headers.get("Authorization") == f"Bearer {forge.token}"
                gl = self.headers.get("PRIVATE-TOKEN") == forge.token
                return gh or gl

            def handle_any(self):
                with forge.lock:
                    if forge.faults and forge.faults[0][0] == self.command:
                        _, status, headers = forge.faults.pop(0)
                        return self.reply(status, {"message": "injected"}, headers)
                    if not self.authorized():
                        return self.reply(401, {"message": "Bad credentials"})
                    u = urlparse(self.path)
                    q = parse_qs(u.query)
                    length = int(self.headers.get("Content-Length") or 0)
                    body = json.loads(self.rfile.read(length) or b"{}") if length else {}
                    gitlab = u.path.startswith("/api/v4/")
                    if forge.error:
                        status, text = forge.error
                        return self.reply(status, {"message": text})
                    if self.command == "GET" and u.path.endswith("/user"):
                        if forge.user_status != 200:
                            return self.reply(forge.user_status, {"message": "Resource not accessible by integration"})
                        return self.reply(200, {"username" if gitlab else "login": forge.login})
                    if self.command == "GET" and re.search(r"/(comments|notes)$", u.path) and forge.raw_list:
                        status, data = forge.raw_list
                        forge.log.append((time.monotonic(), self.command, self.path, status))
                        self.send_response(status)
                        self.send_header("Content-Length", str(len(data)))
                        self.end_headers()
                        self.wfile.write(data)
                        return None
                    if self.command == "GET" and re.search(r"/(comments|notes)$", u.path):
                        per = int(q.get("per_page", ["30"])[0])
                        page = int(q.get("page", ["1"])[0])
                        items = forge.comments[(page - 1) * per: page * per]
                        headers = []
                        if forge.link is not None:
                            headers.append(("Link", forge.link))
                        elif page * per < len(forge.comments):
                            nxt = f"{forge.url}{u.path}?per_page={per}&page={page + 1}"
                            headers.append(("Link", f'<{nxt}>; rel="next", <{forge.url}{u.path}?page=99>; rel="last"'))
                        return self.reply(200, items, headers)
                    if self.command == "POST" and re.search(r"/(comments|notes)$", u.path):
                        forge.next_id += 1
                        me = forge.login if forge.user_status == 200 else "github-actions[bot]"
                        c = {"id": forge.next_id, "body": body["body"]}
                        c.update({"author": {"username": me}} if gitlab else {"user": {"login": me}})
                        if not gitlab:
                            c["html_url"] = f"https://github.example/pull/1#issuecomment-{forge.next_id}"
                        forge.comments.append(c)
                        return self.reply(201, c)
                    m = re.search(r"/(?:comments|notes)/(\d+)$", u.path)
                    if m and self.command in ("PATCH", "PUT"):
                        if (self.command == "PUT") != gitlab:
                            return self.reply(405, {"message": "wrong method"})
                        for c in forge.comments:
                            if c["id"] == int(m.group(1)):
                                c["body"] = body["body"]
                                out = dict(c)
                                if not gitlab:
                                    out["html_url"] = f"https://github.example/pull/1#issuecomment-{c['id']}"
                                return self.reply(200, out)
                        return self.reply(404, {"message": "Not Found"})
                    return self.reply(404, {"message": "Not Found"})

            do_GET = do_POST = do_PATCH = do_PUT = handle_any

        return H
