// The native plane's C++ without Node.js, for LeakSanitizer: Node.js and V8 keep memory
// to the end on purpose, so a leak check of the addon inside Node.js cannot tell theirs
// from ours. This drives zzs::Plane over real sockets (ipc and tcp on loopback) through
// fan-out, filters, rejects, path expiry, a subscription reset, a drain on stop with
// records queued, an abort with records held and reconfigures (one while records flow,
// one cut short by an abort), checks the accounting identity, and exits; built with -fsanitize=address,undefined by test/native/sanitizers.ts.
//
//   leak-check DIR      (DIR: a private directory for the ipc sockets)

#include <zmq.h>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "plane.h"

using namespace zzs;

static int failures = 0;

static void check(bool ok, const std::string& what) {
  if (!ok) {
    std::fprintf(stderr, "leak-check: FAILED: %s\n", what.c_str());
    failures++;
  }
}

static void pause(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

static void send(void* socket, const std::string& path, const std::string& record, bool three = false) {
  zmq_send(socket, path.data(), path.size(), ZMQ_SNDMORE);
  if (three) zmq_send(socket, "x", 1, ZMQ_SNDMORE);
  zmq_send(socket, record.data(), record.size(), 0);
}

/** A SUB socket connected to `address`, subscribed to `topic`. */
static void* subscriber(void* context, const std::string& address, const std::string& topic = "") {
  void* socket = zmq_socket(context, ZMQ_SUB);
  zmq_setsockopt(socket, ZMQ_SUBSCRIBE, topic.data(), topic.size());
  zmq_connect(socket, address.c_str());
  return socket;
}

static int drain(void* socket, int waitMs) {
  int received = 0;
  zmq_msg_t frame;
  zmq_msg_init(&frame);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(waitMs);
  while (std::chrono::steady_clock::now() < deadline) {
    zmq_pollitem_t item = {socket, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, 50) <= 0) continue;
    while (zmq_msg_recv(&frame, socket, ZMQ_DONTWAIT) >= 0)
      if (!zmq_msg_more(&frame)) received++;
  }
  zmq_msg_close(&frame);
  return received;
}

static uint64_t records(Plane& plane) {
  std::lock_guard<std::mutex> hold(plane.paths().mutex());
  uint64_t sum = 0;
  for (const auto& slot : plane.paths().slots())
    if (slot) sum += slot->records.get();
  return sum;
}

static uint64_t sentOf(Endpoint& endpoint) {
  auto& c = endpoint.counters();
  uint64_t sent = c.sentForgotten.get();
  for (const auto& counter : c.sentByPath) sent += counter.get();
  return sent;
}

static uint64_t accounted(Endpoint& endpoint) {
  auto& c = endpoint.counters();
  uint64_t sent = sentOf(endpoint);
  uint64_t dropped = c.dropped[kQueueFull].get() + c.dropped[kMemoryLimit].get() + c.dropped[kShutdown].get();
  return sent + c.filtered.get() + dropped + endpoint.queue().publishedLength().get();
}

static EndpointConfig endpoint(const std::string& name, const std::string& address, bool bind) {
  EndpointConfig e;
  e.name = name;
  e.address = address;
  e.bind = bind;
  e.tcp = address.rfind("tcp://", 0) == 0;
  e.hwm = 1000;
  e.hwmBytes = 1 << 20;
  e.lingerMs = 500;
  return e;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: leak-check DIR\n");
    return 64;
  }
  std::string dir = argv[1];
  std::mutex eventsMutex;
  std::vector<Event> events;
  Emit emit = [&](Event&& event) {
    std::lock_guard<std::mutex> hold(eventsMutex);
    events.push_back(std::move(event));
  };

  PlaneConfig config;
  config.inputs = {"ipc://" + dir + "/in.sock", "tcp://127.0.0.1:*"};
  config.maxRecordBytes = 1000;
  config.maxPaths = 4;
  config.pathIdleMs = 1000;
  config.memoryLimitBytes = 1 << 20;
  config.endpoints.push_back(endpoint("all", "ipc://" + dir + "/all.sock", true));
  config.endpoints.push_back(endpoint("dns", "tcp://127.0.0.1:*", true));
  config.endpoints.back().include = {"dns*"};
  config.endpoints.push_back(endpoint("greedy", "ipc://" + dir + "/greedy.sock", true));
  config.endpoints.back().maxSubscriptions = 1;
  config.endpoints.back().include = {"conn"};
  config.endpoints.push_back(endpoint("held", "ipc://" + dir + "/held.sock", true));
  config.endpoints.back().hwm = 50;
  config.endpoints.back().include = {"conn"};

  void* context = zmq_ctx_new();
  {
    Plane plane(config, emit);
    std::string problem = plane.start();
    check(problem.empty(), "start: " + problem);
    void* pub = zmq_socket(context, ZMQ_PUB);
    zmq_connect(pub, config.inputs[0].c_str());
    void* all = subscriber(context, "ipc://" + dir + "/all.sock");
    void* dns = subscriber(context, plane.endpoints()[1]->address(), "dn");
    void* greedy = zmq_socket(context, ZMQ_SUB);
    zmq_setsockopt(greedy, ZMQ_SUBSCRIBE, "a", 1);
    zmq_setsockopt(greedy, ZMQ_SUBSCRIBE, "b", 1);
    zmq_connect(greedy, ("ipc://" + dir + "/greedy.sock").c_str());
    pause(300);

    const char* paths[] = {"conn", "dns", "http", "ssl", "files", "junk1", "junk2"};
    std::string record(400, 'r');
    for (int i = 0; i < 3000; i++) {
      send(pub, paths[i % 7], record);
      if (i % 100 == 0) send(pub, "bad path", record);
      if (i % 150 == 0) send(pub, "conn", record, true);
      if (i % 500 == 0) {
        // A subscriber comes and goes mid-stream.
        void* passer = zmq_socket(context, ZMQ_SUB);
        zmq_setsockopt(passer, ZMQ_SUBSCRIBE, "", 0);
        zmq_connect(passer, ("ipc://" + dir + "/all.sock").c_str());
        pause(5);
        int linger = 0;
        zmq_setsockopt(passer, ZMQ_LINGER, &linger, sizeof linger);
        zmq_close(passer);
      }
      if (i % 1000 == 999) pause(20);
    }
    int gotAll = drain(all, 1000);
    int gotDns = drain(dns, 200);
    check(gotAll > 0 && gotDns > 0, "subscribers received records");
    pause(1800);  // the paths go idle and are forgotten
    {
      std::lock_guard<std::mutex> hold(plane.paths().mutex());
      int live = 0;
      for (const auto& slot : plane.paths().slots()) live += slot ? 1 : 0;
      // Only conn stays: records of it wait in queues without a subscriber.
      check(live == 1, "idle paths forgotten (live: " + std::to_string(live) + ")");
    }
    for (int i = 0; i < 200; i++) send(pub, paths[i % 5], record);
    pause(200);
    uint64_t input = records(plane);
    plane.requestStop(true);
    plane.join();
    plane.finish();
    for (auto& e : plane.endpoints()) check(e->closed(), e->config().name + " closed");
    check(plane.endpoints()[2]->counters().resets.get() >= 1, "the greedy endpoint was reset");
    check(plane.endpoints()[3]->counters().dropped[kShutdown].get() > 0, "held records dropped at shutdown");
    check(plane.input().rejected[kFrameCount].get() > 0 && plane.input().rejected[kPathInvalid].get() > 0, "rejects counted");
    // The identity over the paths still known (the 200 records after the expiry), for each endpoint.
    for (auto& e : plane.endpoints()) {
      auto& c = e->counters();
      uint64_t dropped = c.dropped[kQueueFull].get() + c.dropped[kMemoryLimit].get() + c.dropped[kShutdown].get();
      check(accounted(*e) >= input && dropped + c.filtered.get() <= accounted(*e), e->config().name + " accounts for every record");
    }
    int linger = 0;
    for (void* socket : {pub, all, dns, greedy}) {
      zmq_setsockopt(socket, ZMQ_LINGER, &linger, sizeof linger);
      zmq_close(socket);
    }
  }
  {
    // An abort with records held: nothing waits, everything is counted.
    PlaneConfig small = config;
    small.inputs = {"ipc://" + dir + "/in2.sock"};
    small.endpoints = {endpoint("held", "ipc://" + dir + "/held2.sock", true)};
    Plane plane(small, emit);
    check(plane.start().empty(), "second start");
    void* pub = zmq_socket(context, ZMQ_PUB);
    zmq_connect(pub, small.inputs[0].c_str());
    pause(200);
    for (int i = 0; i < 100; i++) send(pub, "conn", "{}");
    pause(200);
    plane.requestStop(false);
    plane.join();
    plane.finish();
    check(plane.endpoints()[0]->counters().dropped[kShutdown].get() == records(plane), "abort counts what was held");
    int linger = 0;
    zmq_setsockopt(pub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_close(pub);
  }
  {
    // A reconfigure while records flow: one endpoint kept, one removed, one changed, one
    // added; then a second one cut short by an abort.
    PlaneConfig live = config;
    live.inputs = {"ipc://" + dir + "/in4.sock"};
    live.endpoints = {endpoint("kept", "ipc://" + dir + "/kept.sock", true), endpoint("removed", "ipc://" + dir + "/removed.sock", true),
                      endpoint("changed", "ipc://" + dir + "/changed.sock", true)};
    Plane plane(live, emit);
    check(plane.start().empty(), "reconfigure: start");
    void* pub = zmq_socket(context, ZMQ_PUB);
    zmq_connect(pub, live.inputs[0].c_str());
    void* kept = subscriber(context, "ipc://" + dir + "/kept.sock");
    void* changed = subscriber(context, "ipc://" + dir + "/changed.sock");
    pause(300);
    std::string record(200, 'r');
    for (int i = 0; i < 300; i++) send(pub, i % 2 == 0 ? "conn" : "dns", record);
    for (int waited = 0; records(plane) < 300 && waited < 400; waited++) pause(5);
    std::vector<EndpointConfig> next = {endpoint("added", "ipc://" + dir + "/added.sock", true), live.endpoints[2], live.endpoints[0]};
    next[1].hwm = 500;
    next[1].include = {"conn"};
    auto done = plane.reconfigure(next, {-1, -1, 0});
    for (bool swapped = false; !swapped; pause(5)) {
      std::lock_guard<std::mutex> hold(plane.paths().mutex());
      swapped = plane.endpoints()[0]->config().name == "added";
    }
    for (int i = 0; i < 300; i++) send(pub, i % 2 == 0 ? "conn" : "dns", record);
    ReconfigureResult result = done.get();
    check(result.failed.empty() && result.opened.size() == 2 && result.retired.size() == 2, "reconfigure: two retired, two opened");
    int gotKept = drain(kept, 1000);
    int gotChanged = drain(changed, 1000);
    check(gotKept == 600, "reconfigure: the kept endpoint lost nothing (" + std::to_string(gotKept) + ")");
    uint64_t oldSent = 0;
    for (const auto& retired : result.retired)
      if (retired.name == "changed") oldSent = retired.sent;
    check(static_cast<uint64_t>(gotChanged) == oldSent + sentOf(*plane.endpoints()[1]) && gotChanged == 450,
          "reconfigure: the changed endpoint's old and new sockets sent what they count (received " + std::to_string(gotChanged) + ", old " +
              std::to_string(oldSent) + ", new " + std::to_string(sentOf(*plane.endpoints()[1])) + ")");
    check(plane.endpoints()[1]->counters().filtered.get() > 0, "reconfigure: the changed filters apply");
    check(plane.reconfigure({}, {}).get().failed.empty(), "reconfigure: every endpoint removed");
    check(plane.reconfigure(live.endpoints, {-1, -1, -1}).get().opened.size() == 3, "reconfigure: three endpoints opened again");
    for (int i = 0; i < 100; i++) send(pub, "conn", record);
    auto held = [&plane](size_t i) {
      std::lock_guard<std::mutex> hold(plane.paths().mutex());
      return plane.endpoints()[i]->queue().publishedLength().get();
    };
    for (int waited = 0; held(1) < 100 && waited < 400; waited++) pause(5);
    // The endpoint holding 100 records for a subscriber that is not there is changed, and
    // the plane aborted while the old one drains: it closes at once and counts them.
    std::vector<EndpointConfig> smaller = live.endpoints;
    smaller[1].hwm = 10;
    auto cut = plane.reconfigure(smaller, {0, -1, 2});
    for (int waited = 0; held(1) > 0 && waited < 400; waited++) pause(5);
    plane.requestStop(false);
    plane.join();
    ReconfigureResult aborted = cut.get();
    plane.finish();
    check(aborted.retired.size() == 1 && aborted.retired[0].dropped[kShutdown] == 100 && aborted.failed.size() == 1, "reconfigure: an abort closes the retired endpoint at once");
    for (auto& e : plane.endpoints()) check(e->closed(), e->config().name + " closed after the abort");
    check(plane.reconfigure(live.endpoints, {-1, -1, -1}).get().failed.size() == 3, "reconfigure: refused once the plane has stopped");
    int linger = 0;
    for (void* socket : {pub, kept, changed}) {
      zmq_setsockopt(socket, ZMQ_LINGER, &linger, sizeof linger);
      zmq_close(socket);
    }
  }
  {
    // A bind that fails leaves nothing open.
    PlaneConfig clash = config;
    clash.inputs = {"tcp://256.0.0.1:5555"};
    clash.endpoints = {endpoint("out", "ipc://" + dir + "/out3.sock", true)};
    Plane plane(clash, emit);
    check(!plane.start().empty(), "a bind to an impossible address fails");
  }
  zmq_ctx_term(context);
  std::printf("leak-check: %zu events, %d failures\n", events.size(), failures);
  return failures == 0 ? 0 : 1;
}
