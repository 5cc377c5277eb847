#include "plane.h"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "path-filter.h"

namespace zzs {

// The same values as src/input/zeek-input.ts and src/router/record-router.ts.
static const size_t kMaxPathBytes = 128;
static const int kMaxDrainMessages = 10000;  // read on shutdown from what libzmq already holds
static const int64_t kDrainGraceMs = 50;  // on shutdown, an input quiet this long is taken to be empty
static const int64_t kMaxSweepIntervalMs = 60000;
static const int kReadsPerTurn = 1024;  // then the endpoints get their turn
static const int kStop = 1, kAbort = 2;

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

static void setInt(void* socket, int option, int value) { zmq_setsockopt(socket, option, &value, sizeof value); }

#ifndef ZMQ_ZERO_COPY_RECV
#define ZMQ_ZERO_COPY_RECV 10  // a draft context option in libzmq 4.3's header, built into its library
#endif

Plane::Plane(PlaneConfig config, Emit emit)
    : config_(std::move(config)),
      emit_(std::move(emit)),
      budget_{config_.memoryLimitBytes},
      paths_(
          config_.endpoints.size(),
          [this](size_t i, std::string_view name) { return admits(config_.endpoints[i].include, config_.endpoints[i].exclude, name); },
          config_.maxPaths, nowMs()),
      context_(zmq_ctx_new()) {
  // Each record in its own allocation: received zero-copy, a queued record would keep its
  // whole 8 KiB receive buffer alive, so that a queue holding every twentieth record could
  // take far more memory than the bytes it counts against hwm_bytes and the memory limit.
  zmq_ctx_set(context_, ZMQ_ZERO_COPY_RECV, 0);
  // Built once: a flood of bad input should not build a string per message.
  for (int reason = 0; reason < kRejectReasons; reason++) rejectKinds_[reason] = std::string("reject-") + kRejectNames[reason];
  for (const auto& endpoint : config_.endpoints) endpoints_.push_back(std::make_unique<Endpoint>(endpoint, config_.maxPaths, budget_, warnings_, emit_));
  zmq_msg_init(&path_);
  zmq_msg_init(&body_);
  zmq_msg_init(&extra_);
}

Plane::~Plane() {
  if (thread_.joinable()) {
    requestStop(false);
    thread_.join();
  }
  finish();
  if (wake_[0] >= 0) ::close(wake_[0]);
  if (wake_[1] >= 0) ::close(wake_[1]);
}

void Plane::finish() {
  if (context_ == nullptr) return;
  closeAll();
  zmq_msg_close(&path_);
  zmq_msg_close(&body_);
  zmq_msg_close(&extra_);
  // Waits for the sockets' linger: what libzmq still holds for subscribers goes out.
  zmq_ctx_term(context_);
  context_ = nullptr;
}

std::string Plane::start() {
  for (auto& endpoint : endpoints_) {
    std::string problem = endpoint->open(context_);
    if (!problem.empty()) {
      closeAll();
      const auto& c = endpoint->config();
      return "endpoint " + c.name + ": cannot " + (c.bind ? "bind " : "connect ") + c.address + ": " + problem;
    }
  }
  inputSocket_ = zmq_socket(context_, ZMQ_SUB);
  zmq_setsockopt(inputSocket_, ZMQ_SUBSCRIBE, "", 0);
  // libzmq refuses a larger frame as its header arrives and cuts the publisher off.
  int64_t maxMessage = static_cast<int64_t>(config_.maxRecordBytes + kMaxPathBytes);
  zmq_setsockopt(inputSocket_, ZMQ_MAXMSGSIZE, &maxMessage, sizeof maxMessage);
  setInt(inputSocket_, ZMQ_LINGER, 0);
  zmq_socket_monitor(inputSocket_, "inproc://zzs-input-monitor",
                     ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
  inputMonitor_ = zmq_socket(context_, ZMQ_PAIR);
  zmq_connect(inputMonitor_, "inproc://zzs-input-monitor");
  for (const auto& address : config_.inputs) {
    if (zmq_bind(inputSocket_, address.c_str()) != 0) {
      std::string problem = zmq_strerror(zmq_errno());
      closeAll();
      return "input: cannot bind " + address + ": " + problem;
    }
    char bound[1024];
    size_t size = sizeof bound;
    inputAddresses_.push_back(zmq_getsockopt(inputSocket_, ZMQ_LAST_ENDPOINT, bound, &size) == 0 ? std::string(bound) : address);
  }
  if (pipe(wake_) != 0) {
    closeAll();
    return std::string("cannot make the plane's wake-up pipe: ") + std::strerror(errno);
  }
  fcntl(wake_[0], F_SETFL, O_NONBLOCK);
  fcntl(wake_[1], F_SETFL, O_NONBLOCK);
  {
    std::lock_guard<std::mutex> hold(commandMutex_);
    accepting_ = true;
  }
  // Sockets move to the plane's thread here: starting a thread is a full memory barrier.
  thread_ = std::thread([this] { run(); });
  return "";
}

void Plane::requestStop(bool drain) {
  int expected = 0;
  command_.compare_exchange_strong(expected, drain ? kStop : kAbort);
  if (!drain) command_.store(kAbort);  // an abort overrides a stop under way
  char byte = 1;
  if (wake_[1] >= 0 && ::write(wake_[1], &byte, 1) < 0) {
    // The pipe is full: the thread has wake-ups waiting already.
  }
}

void Plane::join() {
  if (thread_.joinable()) thread_.join();
}

void Plane::closeInput() {
  if (inputSocket_ == nullptr) return;
  zmq_socket_monitor(inputSocket_, nullptr, 0);
  setInt(inputMonitor_, ZMQ_LINGER, 0);
  zmq_close(inputMonitor_);
  inputMonitor_ = nullptr;
  zmq_close(inputSocket_);
  inputSocket_ = nullptr;
}

void Plane::closeAll() {
  closeInput();
  for (auto& endpoint : endpoints_) endpoint->close(0);
  for (auto& old : retiring_) old.endpoint->close(0);
}

void Plane::readInputMonitor() {
  zmq_msg_t frame;
  zmq_msg_init(&frame);
  while (inputMonitor_ != nullptr && zmq_msg_recv(&frame, inputMonitor_, ZMQ_DONTWAIT) >= 0) {
    uint16_t event = 0;
    if (zmq_msg_size(&frame) >= 2) std::memcpy(&event, zmq_msg_data(&frame), sizeof event);
    while (zmq_msg_more(&frame) && zmq_msg_recv(&frame, inputMonitor_, ZMQ_DONTWAIT) >= 0) {
    }
    // A connection that fails the handshake is reported as such, then as a disconnect.
    if (event == ZMQ_EVENT_DISCONNECTED) {
      if (failedHandshakes_ > 0) {
        failedHandshakes_--;
        input_.disconnects[kHandshakeFailed].add();
      } else {
        input_.disconnects[kClosed].add();
      }
    } else {
      failedHandshakes_++;
    }
  }
  zmq_msg_close(&frame);
}

void Plane::reject(RejectReason reason, int frames, const std::vector<size_t>& frameBytes, int64_t now) {
  input_.rejected[reason].add();
  uint64_t suppressed = 0;
  if (!warnings_.due(rejectKinds_[reason], now, &suppressed)) return;
  std::string sizes = "[";
  for (size_t i = 0; i < frameBytes.size(); i++) sizes += (i == 0 ? "" : ",") + std::to_string(frameBytes[i]);
  sizes += "]";
  Fields fields;
  fields.text("reason", kRejectNames[reason]).number("frames", frames).raw("frameBytes", sizes);
  size_t pathBytes = std::min<size_t>(zmq_msg_size(&path_), 64);
  fields.text("path", std::string_view(static_cast<const char*>(zmq_msg_data(&path_)), pathBytes)).number("suppressed", static_cast<double>(suppressed));
  emit_({"warn", "rejected a malformed input message", fields.json()});
}

/** Reads one message and routes it; false when the input holds nothing more. */
bool Plane::readInput(int64_t now) {
  if (zmq_msg_recv(&path_, inputSocket_, ZMQ_DONTWAIT) < 0) {
    int error = zmq_errno();
    if (error != EAGAIN && error != EINTR) {
      internalErrors_.add();
      uint64_t suppressed = 0;
      if (warnings_.due("input-receive", now, &suppressed))
        emit_({"error", "receiving from the input failed", Fields().text("err", zmq_strerror(error)).number("suppressed", static_cast<double>(suppressed)).json()});
    }
    return false;
  }
  // A message arrives whole: its further frames are there already.
  int frames = 1;
  std::vector<size_t> sizes;
  bool framed = false;
  if (zmq_msg_more(&path_) && zmq_msg_recv(&body_, inputSocket_, ZMQ_DONTWAIT) >= 0) {
    frames = 2;
    framed = !zmq_msg_more(&body_);
    if (!framed) {
      sizes = {zmq_msg_size(&path_), zmq_msg_size(&body_)};
      bool more = true;
      while (more && zmq_msg_recv(&extra_, inputSocket_, ZMQ_DONTWAIT) >= 0) {
        if (++frames <= 4) sizes.push_back(zmq_msg_size(&extra_));
        more = zmq_msg_more(&extra_);
      }
    }
  } else {
    sizes = {zmq_msg_size(&path_)};
  }
  if (!framed) {
    reject(kFrameCount, frames, sizes, now);
  } else {
    route(now);
  }
  zmq_msg_close(&path_);
  zmq_msg_init(&path_);
  zmq_msg_close(&body_);
  zmq_msg_init(&body_);
  return true;
}

/** Checks a two-frame message as checkFraming and the path table do, then fans it out. */
void Plane::route(int64_t now) {
  size_t pathBytes = zmq_msg_size(&path_);
  size_t recordBytes = zmq_msg_size(&body_);
  RejectReason problem = kRejectReasons;
  if (pathBytes == 0) problem = kEmptyPath;
  else if (pathBytes > kMaxPathBytes) problem = kPathTooLong;
  else if (recordBytes == 0) problem = kEmptyRecord;
  else if (recordBytes > config_.maxRecordBytes) problem = kRecordTooLarge;
  LogPath* path = nullptr;
  if (problem == kRejectReasons) path = paths_.lookup(static_cast<const char*>(zmq_msg_data(&path_)), pathBytes, &problem);
  if (path == nullptr) {
    reject(problem, 2, {pathBytes, recordBytes}, now);
    return;
  }
  path->records.add();
  input_.bytes.add(pathBytes + recordBytes);
  size_t last = endpoints_.size();
  for (size_t i = 0; i < endpoints_.size(); i++)
    if (path->admitted[i]) last = i;
  for (size_t i = 0; i < endpoints_.size(); i++) {
    if (path->admitted[i]) endpoints_[i]->offer(&path_, &body_, path, i == last);
    else endpoints_[i]->counters().filtered.add();
  }
}

/**
 * On stop: what libzmq has already taken from Zeek is still routed, so that it is counted
 * and queued; what Zeek sends from now on stays with Zeek's writer, within its own linger.
 */
void Plane::drainInput(int64_t now) {
  int drained = 0;
  while (drained < kMaxDrainMessages) {
    zmq_pollitem_t item = {inputSocket_, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, kDrainGraceMs) <= 0) return;
    while (drained < kMaxDrainMessages && readInput(now)) drained++;
  }
}

void Plane::run() {
  // Named, so that top -H and perf show the data plane's thread apart from Node.js's.
  pthread_setname_np(pthread_self(), "zeek-zmq-plane");
  const int64_t idleMs = config_.pathIdleMs;
  const int64_t sweepMs = std::min(idleMs / 4, kMaxSweepIntervalMs);
  int64_t now = nowMs();
  int64_t nextSweep = now + sweepMs;
  bool draining = false;
  std::vector<int64_t> deadlines;
  std::vector<zmq_pollitem_t> items;
  // The endpoints served this turn (the running set, then those a reconfigure retired),
  // and where each one's socket and monitor are among the items (0: not polled).
  std::vector<Endpoint*> served;
  std::vector<size_t> polled;
  for (;;) {
    served.clear();
    for (auto& endpoint : endpoints_) served.push_back(endpoint.get());
    for (auto& old : retiring_) served.push_back(old.endpoint.get());
    polled.assign(served.size(), 0);
    items.clear();
    items.push_back({nullptr, wake_[0], ZMQ_POLLIN, 0});
    if (inputSocket_ != nullptr) {
      items.push_back({inputSocket_, 0, ZMQ_POLLIN, 0});
      items.push_back({inputMonitor_, 0, ZMQ_POLLIN, 0});
    }
    int64_t wakeAt = std::min(draining ? kNever : nextSweep, reconfigurationWakeAt());
    for (size_t i = 0; i < served.size(); i++) {
      Endpoint& endpoint = *served[i];
      if (endpoint.socket() != nullptr) {
        polled[i] = items.size();
        items.push_back({endpoint.socket(), 0, ZMQ_POLLIN, 0});
        items.push_back({endpoint.monitor(), 0, ZMQ_POLLIN, 0});
      }
      wakeAt = std::min(wakeAt, endpoint.nextWork());
      if (draining && i < deadlines.size() && !endpoint.closed()) wakeAt = std::min(wakeAt, deadlines[i]);
    }
    long timeout = wakeAt == kNever ? -1 : static_cast<long>(std::max<int64_t>(0, wakeAt - now));
    if (zmq_poll(items.data(), static_cast<int>(items.size()), timeout) < 0 && zmq_errno() != EINTR) {
      internalErrors_.add();
      uint64_t suppressed = 0;
      if (warnings_.due("poll", nowMs(), &suppressed))
        emit_({"error", "polling the plane's sockets failed", Fields().text("err", zmq_strerror(zmq_errno())).number("suppressed", static_cast<double>(suppressed)).json()});
    }
    now = nowMs();

    if (items[0].revents != 0) {
      char bytes[64];
      while (::read(wake_[0], bytes, sizeof bytes) > 0) {
      }
    }
    int command = command_.load();
    if (command == kAbort) {
      endReconfiguration(true, now);
      closeAll();
      return;
    }
    if (command == kStop && !draining) {
      draining = true;
      endReconfiguration(false, now);
      drainInput(now);
      closeInput();
      now = nowMs();
      // The endpoint set is final now: the deadlines follow its order.
      for (auto& endpoint : endpoints_) deadlines.push_back(now + endpoint->config().lingerMs);
    }
    // Between two records: one reconfigure at a time, the next one waits in its slot.
    if (!draining && !applying_ && reconfigureRequested_.load()) {
      beginReconfiguration(now);
      continue;  // the served endpoints and the poll items changed
    }

    // Only the sockets zmq_poll found readable are read: what is left is reported again.
    if (inputSocket_ != nullptr && items.size() > 2) {
      if (items[1].revents != 0) {
        for (int reads = 0; reads < kReadsPerTurn && readInput(now); reads++) {
        }
      }
      if (items[2].revents != 0) readInputMonitor();
    }
    for (size_t i = 0; i < served.size(); i++) {
      Endpoint& endpoint = *served[i];
      if (polled[i] != 0 && endpoint.socket() == items[polled[i]].socket) {
        if (items[polled[i] + 1].revents != 0) endpoint.readMonitor();
        if (items[polled[i]].revents != 0) endpoint.readSubscriptions(now);
      }
      endpoint.reopenIfDue(now);
      endpoint.pump(now);
    }
    advanceReconfiguration(now);
    if (!draining && now >= nextSweep) {
      // A path's last sighting is stamped by the sweep before it: one interval is added.
      paths_.expire(now, idleMs + sweepMs, [this](uint32_t id) {
        for (auto& endpoint : endpoints_) endpoint->forget(id);
        for (auto& old : retiring_) old.endpoint->forget(id);
      });
      nextSweep = now + sweepMs;
    }
    if (draining) {
      bool open = applying_ != nullptr;  // retired endpoints still draining
      for (size_t i = 0; i < endpoints_.size(); i++) {
        Endpoint& endpoint = *endpoints_[i];
        if (endpoint.closed()) continue;
        if (endpoint.queue().length() == 0 || now >= deadlines[i]) endpoint.close(deadlines[i] - now);
        else open = true;
      }
      if (!open) return;
    }
  }
}

}  // namespace zzs
