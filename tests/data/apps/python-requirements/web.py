import http.server
import os
import sys

MARK = sys.argv[1] if len(sys.argv) > 1 else "none"


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"hello from python-requirements mark={MARK}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


port = int(os.environ.get("PORT", "8000"))
http.server.ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()
