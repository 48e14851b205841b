"""A small existing JSON service, written without Local Serverless in mind."""
import json
from http.server import BaseHTTPRequestHandler, HTTPServer


class App(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        print(f"existing app got {body}", flush=True)
        self.reply({"echo": body, "service": "existing-python-app"})

    def do_GET(self):
        self.reply({"service": "existing-python-app", "status": "ok"})

    def reply(self, value):
        data = json.dumps(value).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


HTTPServer(("0.0.0.0", 8000), App).serve_forever()
