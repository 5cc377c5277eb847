# A ZeroMQ peer none of us wrote (pyzmq), for the CURVE tests. One JSON argument says what
# it is; it prints "ready" once its socket is set up, then one line per message received,
# [path, record] in base64, until it is killed.
#
#   {"role": "sub", "connect": ADDRESS, "server_key": PATH?, "cert": PATH?, "source": IP?}
#   {"role": "server", "bind": "tcp://127.0.0.1", "cert": PATH}        prints the port first
#   {"role": "pub", "connect": ADDRESS, "path": NAME, "count": N, "server_key": PATH?, "cert": PATH?}
import base64, json, sys, time
import zmq, zmq.auth

spec = json.loads(sys.argv[1])
ctx = zmq.Context()


def say(*words):
    print(*words, flush=True)


def curve_client(sock):
    if "server_key" not in spec:
        return
    server_public, _ = zmq.auth.load_certificate(spec["server_key"])
    if "cert" in spec:
        public, secret = zmq.auth.load_certificate(spec["cert"])
    else:
        public, secret = zmq.curve_keypair()
    sock.curve_serverkey = server_public
    sock.curve_publickey = public
    sock.curve_secretkey = secret


def address(connect):
    # "tcp://127.0.0.2:0;127.0.0.1:5556": connect from another loopback address.
    if "source" not in spec:
        return connect
    return connect.replace("tcp://", "tcp://%s:0;" % spec["source"], 1)


def receive(sock):
    say("ready")
    while True:
        frames = sock.recv_multipart()
        say(json.dumps([base64.b64encode(f).decode() for f in frames]))


role = spec["role"]
if role == "sub":
    sock = ctx.socket(zmq.SUB)
    curve_client(sock)
    sock.subscribe(b"")
    sock.connect(address(spec["connect"]))
    receive(sock)
elif role == "server":
    sock = ctx.socket(zmq.SUB)
    public, secret = zmq.auth.load_certificate(spec["cert"])
    sock.curve_secretkey = secret
    sock.curve_publickey = public
    sock.curve_server = True
    sock.subscribe(b"")
    port = sock.bind_to_random_port(spec["bind"])
    say(port)
    receive(sock)
elif role == "pub":
    sock = ctx.socket(zmq.PUB)
    curve_client(sock)
    sock.connect(address(spec["connect"]))
    say("ready")
    # Keeps publishing for a while: a refused publisher never gets a subscription, and one
    # that is admitted gets it only after its handshake.
    for i in range(spec["count"]):
        sock.send_multipart([spec["path"].encode(), json.dumps({"n": i}).encode()])
        time.sleep(0.01)
    say("done")
    time.sleep(3600)
