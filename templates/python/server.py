"""Serves handler.py over HTTP on $PORT: JSON in, JSON out. Edit handler.py, not this file.

Standard library only (no package index needed). SIGHUP reloads the handler without
restarting the process (Local Serverless sends it after syncing files).
"""
import importlib
import json
import os
import signal
import sys
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

APP_DIR = os.path.dirname(os.path.abspath(__file__))
PORT = int(os.environ.get("PORT", "{{port}}"))
# How many reloads are done, so Local Serverless knows when the new code serves (it waits for the count to change).
RELOADS_FILE = os.path.join(os.environ.get("TMPDIR", "/tmp"), ".local-serverless-reloads")
reloads = 0


def load_handler():
    # Drop the app's own modules so edited files are read again.
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None) or ""
        if file.startswith(APP_DIR + os.sep) and name != "__main__":
            del sys.modules[name]
    return importlib.import_module("handler").handler


def count_reload():
    try:
        with open(RELOADS_FILE, "w") as f:
            f.write(f"{reloads}\n")
    except OSError:
        pass  # not writable: Local Serverless then does not wait for the reload


handler = load_handler()
count_reload()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    disable_nagle_algorithm = True  # else each keep-alive reply waits ~40 ms

    def _serve(self):
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length).decode("utf-8") if length else ""
        try:
            event = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError as err:
            return self._send(400, {"error": f"Request body is not JSON: {err}"})
        try:
            context = {"method": self.command, "path": self.path, "headers": dict(self.headers)}
            self._send(200, handler(event, context))
        except Exception as err:  # the handler's error goes to the logs and the caller
            traceback.print_exc()
            self._send(500, {"error": str(err)})

    def _send(self, status, value):
        body = json.dumps(value).encode("utf-8")
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format, *args):
        pass  # the handler logs what matters; access lines would drown it


def reload(signum, frame):
    global handler, reloads
    try:
        handler = load_handler()
        print("{{name}} reloaded handler", flush=True)
    except Exception:
        print("{{name}} reload failed, keeping the previous handler:", flush=True)
        traceback.print_exc()
    reloads += 1
    count_reload()


def main():
    server = ThreadingHTTPServer(("0.0.0.0", PORT), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGHUP, reload)
    # Exit at once so stops and rebuilds never wait for Docker's kill timeout, nor for
    # server.shutdown(), which waits out serve_forever's half-second poll.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"{{name}} listening on port {PORT}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
