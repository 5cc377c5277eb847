#!/usr/bin/env python3
"""Writes deterministic pcaps of real-shaped traffic, for the demo and for the tests.

    python3 make-demo-pcap.py demo.pcap
    python3 make-demo-pcap.py --scenario mixed mixed.pcap
    python3 make-demo-pcap.py --scenario large --flows 10000 large.pcap

demo (the default): one client resolves two names over DNS, fetches a page and a script
over HTTP/1.1 on one keep-alive connection, and opens a TLS 1.2 session with a
certificate. Zeek reading it writes at least conn, dns, http, ssl, files and x509 records.

mixed: more kinds of traffic: DNS over TCP, HTTP with several files of different types
and an upload, TLS with a certificate chain (leaf, intermediate, root), and a connection
that stays open for two hours of capture time.

large: --flows DNS lookups from many clients, every fifth followed by an HTTP download:
tens of thousands of records in a few seconds of Zeek's time, enough to exercise the
writer's high-water mark and connect pause.

Every byte is fixed (timestamps, sequence numbers, "random" fields), so the same file
comes out every time, and every checksum is correct. Only the standard library is used:
the Zeek image has nothing more than python3-minimal.
"""

import argparse
import struct
import sys

START = 1767225600  # 2026-01-01T00:00:00Z

CLIENT_MAC = bytes.fromhex("02005e100001")
GATEWAY_MAC = bytes.fromhex("02005e100002")
CLIENT = "10.0.2.15"
RESOLVER = "10.0.2.3"
WEB = "93.184.216.34"
SECURE = "198.51.100.20"

# A self-signed ECDSA P-256 certificate for secure.example.net, made for this demo.
CERTIFICATE = bytes.fromhex(
    "308201dc30820182a00302010202021092300a06082a8648ce3d040302303d311e301c060355040a0c157a65656b2d7a"
    "6d712d736869707065722064656d6f311b301906035504030c127365637572652e6578616d706c652e6e6574301e170d"
    "3236313132393139323230395a170d3336313132363139323230395a303d311e301c060355040a0c157a65656b2d7a6d"
    "712d736869707065722064656d6f311b301906035504030c127365637572652e6578616d706c652e6e65743059301306"
    "072a8648ce3d020106082a8648ce3d03010703420004d6ec69e58f73d2cdf883968ec881419573aaec8b5f73e3b62a61"
    "de8163ed18215f0524c89c1b39e193ab4589d4fb1a852aec0ce60a78691224e09701958361c2a3723070301d0603551d"
    "0e04160414923b9999b33180e8105675722f2ecc6eb9021101301f0603551d23041830168014923b9999b33180e81056"
    "75722f2ecc6eb9021101300f0603551d130101ff040530030101ff301d0603551d110416301482127365637572652e65"
    "78616d706c652e6e6574300a06082a8648ce3d040302034800304502207a956e3be982492cb5508c7636c321728e8735"
    "599cd00421eb8de32990c5ea3d022100f97a747d9ee9c834f0963c3657ca2fd976760bdc2343bfb402f427f3bc7f1710"
)


# A certificate chain for chain.example.com (leaf, intermediate CA, root CA; ECDSA P-256),
# made for these captures.
CHAIN_LEAF = bytes.fromhex(
    "308201f83082019fa00302010202023003300a06082a8648ce3d040302303f311e301c060355040a0c157a65656b2d7a"
    "6d712d736869707065722064656d6f311d301b06035504030c1444656d6f20496e7465726d656469617465204341301e"
    "170d3236313230323036303130325a170d3239303330363036303130325a303c311e301c060355040a0c157a65656b2d"
    "7a6d712d736869707065722064656d6f311a301806035504030c11636861696e2e6578616d706c652e636f6d30593013"
    "06072a8648ce3d020106082a8648ce3d03010703420004d7a50da9d90bd740a9cd343cbb0178a2245fbf35b52826bc6a"
    "27819f806af433e9878aed57733e96c1d8c220968653234fc5f99069a716568387d5fa992f2f8da3818d30818a303306"
    "03551d11042c302a8211636861696e2e6578616d706c652e636f6d82157777772e636861696e2e6578616d706c652e63"
    "6f6d30130603551d25040c300a06082b06010505070301301d0603551d0e0416041461f9896f05094cc0b903b97dd47e"
    "a7335ec545fe301f0603551d230418301680142f646b557006cd62f32c2e194bd328bdbcba1e19300a06082a8648ce3d"
    "040302034700304402205dcddb31e118fdae8c05565190efc5e1f1ccadc3816091bdaf08102c5a493d2f02207d6fd8ae"
    "b88d559eff45b4bc964161196d2daab44c2dcaf3d9910290d6b9944b"
)
CHAIN_INTERMEDIATE = bytes.fromhex(
    "308201cc30820172a00302010202022002300a06082a8648ce3d0403023037311e301c060355040a0c157a65656b2d7a"
    "6d712d736869707065722064656d6f3115301306035504030c0c44656d6f20526f6f74204341301e170d323631323032"
    "3036303130325a170d3336313132393036303130325a303f311e301c060355040a0c157a65656b2d7a6d712d73686970"
    "7065722064656d6f311d301b06035504030c1444656d6f20496e7465726d6564696174652043413059301306072a8648"
    "ce3d020106082a8648ce3d030107034200041aa167915fbf5f4b32a41642530f13ffc1c479b8f7887534ac8f9fb3c352"
    "f31309f3f5ba4d266155cfe533db5a5f8488e5ccb53a010db193d5336d59b2d78b44a366306430120603551d130101ff"
    "040830060101ff020100300e0603551d0f0101ff040403020106301d0603551d0e041604142f646b557006cd62f32c2e"
    "194bd328bdbcba1e19301f0603551d23041830168014ea311c4d4b11105b77bb3dca95d632b8b650020b300a06082a86"
    "48ce3d0403020348003045022058f4e289999d91490f6b0ead7624ea02caf545a240c164ab7d211a875f3b497c022100"
    "e36548fa05e1c24e20e8beabecc08d89d58706b300b1b7ad058a6c760d6c8d23"
)
CHAIN_ROOT = bytes.fromhex(
    "308201c230820167a00302010202021001300a06082a8648ce3d0403023037311e301c060355040a0c157a65656b2d7a"
    "6d712d736869707065722064656d6f3115301306035504030c0c44656d6f20526f6f74204341301e170d323631323032"
    "3036303130325a170d3336313132393036303130325a3037311e301c060355040a0c157a65656b2d7a6d712d73686970"
    "7065722064656d6f3115301306035504030c0c44656d6f20526f6f742043413059301306072a8648ce3d020106082a86"
    "48ce3d03010703420004ad9060555790c8bd573228f047bd1bb025520b8c84f14b4e18dc3e877608815f6c6c6fd51058"
    "11fd3af61d5752a68894d41c778f7a263c9f33a8fabb620a964fa3633061301d0603551d0e04160414ea311c4d4b1110"
    "5b77bb3dca95d632b8b650020b301f0603551d23041830168014ea311c4d4b11105b77bb3dca95d632b8b650020b300f"
    "0603551d130101ff040530030101ff300e0603551d0f0101ff040403020106300a06082a8648ce3d0403020349003046"
    "022100d7317988b6024ab13a9eb96e218a35bbc8e3a93196544f997828d521135a671c022100fa7401ca0b11c2bf30ca"
    "748d63cff837df42065fd4db18ace8af709d6ddcf880"
)


def fixed_bytes(seed, length):
    """Deterministic filler for fields that are random on the wire (an LCG, not crypto)."""
    out = bytearray()
    state = seed
    while len(out) < length:
        state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        out += (state >> 32).to_bytes(4, "big")
    return bytes(out[:length])


def ip_bytes(text):
    return bytes(int(part) for part in text.split("."))


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


class Capture:
    def __init__(self):
        self.packets = []
        self.clock = START * 1_000_000  # microseconds
        self.ip_id = 0x1000

    def advance(self, micros):
        self.clock += micros

    def ipv4(self, src, dst, proto, payload, from_client):
        self.ip_id = (self.ip_id + 1) & 0xFFFF
        header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), self.ip_id, 0x4000, 64, proto, 0, ip_bytes(src), ip_bytes(dst))
        header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
        macs = GATEWAY_MAC + CLIENT_MAC if from_client else CLIENT_MAC + GATEWAY_MAC
        frame = macs + b"\x08\x00" + header + payload
        self.packets.append((self.clock, frame))

    def transport(self, src, dst, proto, segment, from_client):
        pseudo = ip_bytes(src) + ip_bytes(dst) + struct.pack("!BBH", 0, proto, len(segment))
        offset = 16 if proto == 6 else 6
        segment = segment[:offset] + struct.pack("!H", checksum(pseudo + segment)) + segment[offset + 2:]
        self.ipv4(src, dst, proto, segment, from_client)

    def udp(self, src, sport, dst, dport, payload, from_client):
        segment = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
        self.transport(src, dst, 17, segment, from_client)

    def write(self, path):
        with open(path, "wb") as out:
            out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            for micros, frame in self.packets:
                out.write(struct.pack("<IIII", micros // 1_000_000, micros % 1_000_000, len(frame), len(frame)))
                out.write(frame)


SYN, FIN, PSH, ACK = 0x02, 0x01, 0x08, 0x10


class TcpSession:
    def __init__(self, capture, client_port, server, server_port, isn, client=CLIENT):
        self.cap = capture
        self.ends = {True: (client, client_port), False: (server, server_port)}
        self.seq = {True: isn, False: isn * 7 % (1 << 32)}

    def segment(self, from_client, flags, payload=b"", options=b""):
        src, sport = self.ends[from_client]
        dst, dport = self.ends[not from_client]
        offset = (20 + len(options)) // 4
        ack = self.seq[not from_client] if flags & ACK else 0
        header = struct.pack("!HHIIBBHHH", sport, dport, self.seq[from_client], ack, offset << 4, flags, 64240, 0, 0)
        self.cap.transport(src, dst, 6, header + options + payload, from_client)
        self.seq[from_client] = (self.seq[from_client] + len(payload) + (1 if flags & (SYN | FIN) else 0)) % (1 << 32)

    def open(self, rtt):
        mss = struct.pack("!BBH", 2, 4, 1460)
        self.segment(True, SYN, options=mss)
        self.cap.advance(rtt)
        self.segment(False, SYN | ACK, options=mss)
        self.cap.advance(120)
        self.segment(True, ACK)

    def send(self, from_client, payload, rtt):
        """Sends payload in MSS-sized segments; the peer acknowledges after one round trip."""
        for start in range(0, len(payload), 1460):
            self.segment(from_client, PSH | ACK, payload[start:start + 1460])
            self.cap.advance(40)
        self.cap.advance(rtt)
        self.segment(not from_client, ACK)
        self.cap.advance(200)

    def close(self, rtt):
        self.segment(True, FIN | ACK)
        self.cap.advance(rtt)
        self.segment(False, FIN | ACK)
        self.cap.advance(120)
        self.segment(True, ACK)


def dns_name(name):
    return b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"


def dns_messages(trans_id, name, answer, ttl):
    """A query for name's A record and its answer."""
    question = dns_name(name) + struct.pack("!HH", 1, 1)
    query = struct.pack("!HHHHHH", trans_id, 0x0100, 1, 0, 0, 0) + question
    record = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, ttl, 4) + ip_bytes(answer)
    response = struct.pack("!HHHHHH", trans_id, 0x8180, 1, 1, 0, 0) + question + record
    return query, response


def dns_exchange(cap, trans_id, client_port, name, answer, ttl, client=CLIENT, rtt=11_873):
    query, response = dns_messages(trans_id, name, answer, ttl)
    cap.udp(client, client_port, RESOLVER, 53, query, True)
    cap.advance(rtt)
    cap.udp(RESOLVER, 53, client, client_port, response, False)
    cap.advance(2_000)


def dns_over_tcp(cap, trans_id, client_port, name, answer, ttl):
    """The same exchange over TCP, each message behind its two-byte length (RFC 1035 4.2.2)."""
    query, response = dns_messages(trans_id, name, answer, ttl)
    tcp = TcpSession(cap, client_port, RESOLVER, 53, 0x0D57C0DE)
    tcp.open(9_000)
    tcp.send(True, struct.pack("!H", len(query)) + query, 9_000)
    tcp.send(False, struct.pack("!H", len(response)) + response, 9_000)
    tcp.close(9_000)


def http_message(start_line, headers, body=b""):
    head = start_line + "\r\n" + "".join("%s: %s\r\n" % item for item in headers) + "\r\n"
    return head.encode() + body


PAGE = (
    b"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Example Domain</title>\n"
    b"<script src=\"/static/app.js\"></script>\n</head>\n<body>\n<h1>Example Domain</h1>\n"
    + b"<p>This domain is for use in illustrative examples in documents.</p>\n" * 30
    + b"</body>\n</html>\n"
)
SCRIPT = b"// demo\n" + b"document.querySelectorAll('p').forEach((p, i) => { p.dataset.index = String(i) })\n" * 12

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


DEMO_FILES = (
    ("/", "text/html,application/xhtml+xml", "text/html; charset=UTF-8", PAGE, "Thu, 01 Jan 2026 00:00:00 GMT"),
    ("/static/app.js", "*/*", "text/javascript", SCRIPT, "Wed, 31 Dec 2025 12:00:00 GMT"),
)


def http_session(cap, files=DEMO_FILES, client_port=40112, server=WEB, host="www.example.org", client=CLIENT, isn=0x3A5F2B10, rtt=24_000, upload=None):
    """One keep-alive connection: a GET for each of files, then optionally a POST of upload."""
    tcp = TcpSession(cap, client_port, server, 80, isn, client)
    tcp.open(rtt)
    for path, accept, content_type, body, modified in files:
        request = http_message("GET %s HTTP/1.1" % path, [("Host", host), ("User-Agent", BROWSER), ("Accept", accept), ("Connection", "keep-alive")])
        tcp.send(True, request, rtt)
        response = http_message(
            "HTTP/1.1 200 OK",
            [("Content-Type", content_type), ("Content-Length", str(len(body))), ("Last-Modified", modified), ("Server", "ECS (nyb/1D2A)"), ("Connection", "keep-alive")],
            body,
        )
        tcp.send(False, response, rtt)
        cap.advance(30_000)
    if upload is not None:
        path, content_type, body = upload
        request = http_message("POST %s HTTP/1.1" % path, [("Host", host), ("User-Agent", BROWSER), ("Content-Type", content_type), ("Content-Length", str(len(body)))], body)
        tcp.send(True, request, rtt)
        tcp.send(False, http_message("HTTP/1.1 201 Created", [("Content-Length", "0"), ("Connection", "close")]), rtt)
    tcp.close(rtt)


def tls_record(content_type, body):
    return struct.pack("!BHH", content_type, 0x0303, len(body)) + body


def handshake(msg_type, body):
    return struct.pack("!B", msg_type) + len(body).to_bytes(3, "big") + body


def extension(ext_type, body):
    return struct.pack("!HH", ext_type, len(body)) + body


def vector(length_bytes, body):
    return len(body).to_bytes(length_bytes, "big") + body


def client_hello(server_name):
    suites = [0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8, 0xC013, 0xC014, 0x009C, 0x009D, 0x002F, 0x0035]
    sni = vector(2, b"\0" + vector(2, server_name.encode()))
    extensions = (
        extension(0x0000, sni)
        + extension(0x0017, b"")  # extended_master_secret
        + extension(0xFF01, b"\0")  # renegotiation_info
        + extension(0x000A, vector(2, struct.pack("!HHH", 0x001D, 0x0017, 0x0018)))  # supported_groups
        + extension(0x000B, vector(1, b"\0"))  # ec_point_formats
        + extension(0x0010, vector(2, vector(1, b"h2") + vector(1, b"http/1.1")))  # ALPN
        + extension(0x000D, vector(2, struct.pack("!HHHHHH", 0x0403, 0x0503, 0x0804, 0x0805, 0x0401, 0x0501)))  # signature_algorithms
    )
    body = struct.pack("!H", 0x0303) + fixed_bytes(1, 32) + vector(1, fixed_bytes(2, 32))
    body += vector(2, b"".join(struct.pack("!H", s) for s in suites)) + vector(1, b"\0") + vector(2, extensions)
    return handshake(1, body)


def server_flight(chain=(CERTIFICATE,)):
    extensions = extension(0xFF01, b"\0") + extension(0x0017, b"") + extension(0x000B, vector(1, b"\0")) + extension(0x0010, vector(2, vector(1, b"http/1.1")))
    hello = struct.pack("!H", 0x0303) + fixed_bytes(3, 32) + vector(1, fixed_bytes(4, 32)) + struct.pack("!HB", 0xC02B, 0) + vector(2, extensions)
    certificates = vector(3, b"".join(vector(3, certificate) for certificate in chain))
    key_exchange = struct.pack("!BH", 3, 0x0017) + vector(1, b"\x04" + fixed_bytes(5, 64))
    key_exchange += struct.pack("!H", 0x0403) + vector(2, b"\x30\x44\x02\x20" + fixed_bytes(6, 32) + b"\x02\x20" + fixed_bytes(7, 32))
    messages = handshake(2, hello) + handshake(11, certificates) + handshake(12, key_exchange) + handshake(14, b"")
    return tls_record(22, messages)


def tls_session(cap, client_port=40114, server=SECURE, server_name="secure.example.net", chain=(CERTIFICATE,)):
    tcp = TcpSession(cap, client_port, server, 443, 0x6C0DE2F1)
    tcp.open(31_000)
    tcp.send(True, tls_record(22, client_hello(server_name)), 31_000)
    tcp.send(False, server_flight(chain), 31_000)
    client_finish = tls_record(22, handshake(16, vector(1, b"\x04" + fixed_bytes(8, 64))))
    client_finish += tls_record(20, b"\x01") + tls_record(22, fixed_bytes(9, 40))
    tcp.send(True, client_finish, 31_000)
    tcp.send(False, tls_record(20, b"\x01") + tls_record(22, fixed_bytes(10, 40)), 31_000)
    tcp.send(True, tls_record(23, fixed_bytes(11, 517)), 31_000)
    tcp.send(False, tls_record(23, fixed_bytes(12, 2048)) + tls_record(23, fixed_bytes(13, 1111)), 31_000)
    tcp.send(True, tls_record(21, fixed_bytes(14, 26)), 31_000)  # close_notify, encrypted
    tcp.close(31_000)


CHAIN_SERVER = "203.0.113.7"
CHAT_SERVER = "192.0.2.80"

# Files of several types, so that Zeek's file analysis sees several MIME types.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + fixed_bytes(20, 300)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + b"% filler\n" * 200 + b"%%EOF\n"
JSON_BODY = b'{"items": [' + b",".join(b'{"id": %d, "name": "item-%d"}' % (i, i) for i in range(80)) + b"]}"
MIXED_FILES = DEMO_FILES + (
    ("/img/logo.png", "image/*", "image/png", PNG, "Tue, 30 Dec 2025 08:00:00 GMT"),
    ("/docs/manual.pdf", "application/pdf", "application/pdf", PDF, "Mon, 29 Dec 2025 08:00:00 GMT"),
    ("/api/items", "application/json", "application/json", JSON_BODY, "Sun, 28 Dec 2025 08:00:00 GMT"),
)


def demo(cap):
    dns_exchange(cap, 0x2C41, 51834, "www.example.org", WEB, 3600)
    dns_exchange(cap, 0x9B07, 51835, "secure.example.net", SECURE, 300)
    cap.advance(5_000)
    http_session(cap)
    cap.advance(250_000)
    tls_session(cap)


def long_lived(cap, hours):
    """A connection that stays open for hours, with a little traffic each minute (a chat client)."""
    tcp = TcpSession(cap, 40200, CHAT_SERVER, 5222, 0x1F2E3D4C)
    tcp.open(18_000)
    for minute in range(hours * 60):
        tcp.send(True, b"<presence id='%d'/>" % minute, 18_000)
        tcp.send(False, b"<message id='%d'>ping</message>" % minute, 18_000)
        cap.advance(60_000_000)
    tcp.close(18_000)


def mixed(cap):
    demo(cap)
    cap.advance(100_000)
    dns_over_tcp(cap, 0x51C3, 40150, "chain.example.com", CHAIN_SERVER, 600)
    http_session(cap, MIXED_FILES, client_port=40152, isn=0x22446688, upload=("/upload", "text/csv", b"id,name\n" + b"".join(b"%d,row-%d\n" % (i, i) for i in range(200))))
    cap.advance(100_000)
    tls_session(cap, 40154, CHAIN_SERVER, "chain.example.com", (CHAIN_LEAF, CHAIN_INTERMEDIATE, CHAIN_ROOT))
    cap.advance(100_000)
    # Last, since it moves the clock on by two hours.
    long_lived(cap, 2)


def large(cap, flows):
    """flows DNS lookups from many clients; every fifth client then downloads a small page."""
    small_page = (("/", "text/html", "text/html; charset=UTF-8", PAGE[:600], "Thu, 01 Jan 2026 00:00:00 GMT"),)
    for i in range(flows):
        client = "10.%d.%d.%d" % (1 + i // 60_000, (i // 240) % 250, 1 + i % 240)
        port = 20_000 + i % 40_000
        name = "host-%d.example.com" % i
        server = "198.18.%d.%d" % ((i // 250) % 250, 1 + i % 250)
        dns_exchange(cap, i & 0xFFFF, port, name, server, 60, client, rtt=800)
        if i % 5 == 0:
            http_session(cap, small_page, port + 1, server, name, client, isn=(0x1000 + i * 7919) & 0xFFFFFFFF, rtt=900)
        cap.advance(300)


def main(argv):
    parser = argparse.ArgumentParser(description="Writes a deterministic pcap of real-shaped traffic.")
    parser.add_argument("output")
    parser.add_argument("--scenario", choices=("demo", "mixed", "large"), default="demo")
    parser.add_argument("--flows", type=int, default=10_000, help="DNS lookups in the large scenario")
    args = parser.parse_args(argv[1:])
    if args.flows < 1 or args.flows > 200_000:
        parser.error("--flows must be from 1 to 200000")
    cap = Capture()
    if args.scenario == "demo":
        demo(cap)
    elif args.scenario == "mixed":
        mixed(cap)
    else:
        large(cap, args.flows)
    cap.write(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
