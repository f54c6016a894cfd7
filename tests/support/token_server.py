#!/usr/bin/python3
"""A token server for docker-registry's token authentication, for tests.

GET /token?service=S&scope=repository:NAME:ACTIONS[&scope=...] with HTTP basic
credentials: the one user given on the command line gets an RS256 JWT granting
every action asked for; anyone else gets 401. The token's header carries the
signing certificate (x5c), which the registry checks against its
rootcertbundle. Each request is logged to --log as one JSON line (user, scopes,
outcome) so a test can see what a client asked for. Prints "ready" once it
listens. Serves https when given --tls-cert and --tls-key.
"""
import argparse
import base64
import http.server
import json
import ssl
import sys
import time
import urllib.parse
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--signing-key", required=True)
    p.add_argument("--signing-cert", required=True)
    p.add_argument("--issuer", required=True)
    p.add_argument("--service", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    args = p.parse_args()

    with open(args.signing_key, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    with open(args.signing_cert, "rb") as f:
        cert_der = x509.load_pem_x509_certificate(f.read()).public_bytes(serialization.Encoding.DER)
    # x5c is standard base64, not the URL-safe kind of the JWS parts.
    header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(cert_der).decode()]}
    want_auth = "Basic " + base64.b64encode(f"{args.user}:{args.password}".encode()).decode()
    log = open(args.log, "a", buffering=1)

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, fmt, *a):  # the access log goes nowhere
            pass

        def answer(self, code, body, headers=()):
            data = json.dumps(body).encode()
            self.send_response(code)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urllib.parse.urlparse(self.path)
            query = urllib.parse.parse_qs(url.query)
            scopes = [s for q in query.get("scope", []) for s in q.split(" ") if s]
            authorized = self.headers.get("Authorization", "") == want_auth
            log.write(json.dumps({"path": url.path, "scopes": scopes, "authorized": authorized,
                                  "service": query.get("service", [""])[0]}) + "\n")
            if url.path != "/token":
                return self.answer(404, {"error": "not found"})
            if not authorized:
                return self.answer(401, {"error": "credentials required"},
                                   [("WWW-Authenticate", 'Basic realm="berth-test-token"')])
            if query.get("service", [""])[0] != args.service:
                return self.answer(400, {"error": "unknown service"})
            access = []
            for s in scopes:
                parts = s.split(":")
                if len(parts) < 3:
                    return self.answer(400, {"error": "bad scope " + s})
                access.append({"type": parts[0], "name": ":".join(parts[1:-1]),
                               "actions": parts[-1].split(",")})
            now = int(time.time())
            claims = {"iss": args.issuer, "sub": args.user, "aud": args.service, "exp": now + 300,
                      "nbf": now - 10, "iat": now, "jti": uuid.uuid4().hex, "access": access}
            signing_input = (b64url(json.dumps(header).encode()) + "." +
                             b64url(json.dumps(claims).encode()))
            signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
            token = signing_input + "." + b64url(signature)
            self.answer(200, {"token": token, "access_token": token, "expires_in": 300})

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
