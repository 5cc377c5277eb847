#include "endpoint.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

namespace zzs {

// The same values as src/output/endpoint-socket.ts and endpoint.ts.
static const int kZmqSendHwm = 1000;  // libzmq's buffer per subscriber counts as sent: kept small
static const int kKernelSendBufferBytes = 262144;
static const int64_t kSubscribeCommandBytes = 10;  // ZMTP 3.1's "\x09SUBSCRIBE" before the topic
static const int kSubscriptionReadAhead = 16;
static const int kSendsPerTurn = 1024;  // then the input and the other endpoints get their turn
// An XPUB socket is always "writable" to zmq_poll, so a full subscriber is retried on a timer:
// short, since the queue (hwm 1000 by default) holds only tens of milliseconds at a busy
// sensor's rate, and cheap here (one failed zmq_msg_send), unlike a JavaScript timer.
static const int64_t kFullRetryFirstMs = 1, kFullRetryMaxMs = 8;
static const int64_t kErrorRetryMs = 1000;
static const int64_t kResetPauseFirstMs = 250, kResetPauseMaxMs = 30000, kResetForgetAfterMs = 60000;
static const int64_t kRebindTimeoutMs = 10000, kRebindRetryMs = 10;

static std::atomic<uint64_t> monitors{0};

Endpoint::Endpoint(const EndpointConfig& config, uint32_t maxPaths, MemoryBudget& budget, RateLimitedLog& warnings, const Emit& emit)
    : config_(config),
      counters_(maxPaths),
      queue_(config.hwm, config.hwmBytes, budget),
      subscriptions_(config.maxTopicBytes, config.maxSubscriptions, maxPaths),
      idleMessages_(config.maxSubscriptions),
      window_(std::max<uint64_t>(1, config.hwmBytes / 4), std::min<uint64_t>(config.hwm, kZmqSendHwm)),
      warnings_(warnings),
      emit_(emit),
      backoffMs_(kFullRetryFirstMs),
      resetPauseMs_(kResetPauseFirstMs) {}

Endpoint::~Endpoint() { closeSocket(0); }

std::string Endpoint::open(void* context) {
  context_ = context;
  std::string problem = openSocket(context, config_.address);
  if (!problem.empty()) return problem;
  counters_.open.store(true);
  return "";
}

static void setInt(void* socket, int option, int value) { zmq_setsockopt(socket, option, &value, sizeof value); }

std::string Endpoint::openSocket(void* context, const std::string& address) {
  socket_ = zmq_socket(context, ZMQ_XPUB);
  if (socket_ == nullptr) return zmq_strerror(zmq_errno());
  // Refuse instead of silently dropping when a subscriber's buffer is full: the queue
  // then holds the record, and counts it if it has to drop it.
  setInt(socket_, ZMQ_XPUB_NODROP, 1);
  setInt(socket_, ZMQ_SNDHWM, static_cast<int>(window_.hwm()));
  setInt(socket_, ZMQ_SNDBUF, kKernelSendBufferBytes);
  // A peer sends only subscriptions: libzmq cuts off one whose message is larger.
  int64_t maxMessage = static_cast<int64_t>(config_.maxTopicBytes) + kSubscribeCommandBytes;
  zmq_setsockopt(socket_, ZMQ_MAXMSGSIZE, &maxMessage, sizeof maxMessage);
  setInt(socket_, ZMQ_RCVHWM, kSubscriptionReadAhead);
  // Every subscribe message reaches the endpoint, repeats included, so that a peer repeating
  // one is seen and counted (IdleMessageBudget); unsubscriptions still come only when a
  // topic's last subscriber leaves it, so the topic set stays the socket's own.
  setInt(socket_, ZMQ_XPUB_VERBOSE, 1);
  // Connect mode: no pipe until the subscriber is really there, so records wait in our queue.
  setInt(socket_, ZMQ_IMMEDIATE, config_.bind ? 0 : 1);
  setInt(socket_, ZMQ_LINGER, 0);  // set at close from what is left of the endpoint's linger
  if (config_.tcp && config_.peerTimeoutMs > 0) {
    int seconds = std::max<int>(1, static_cast<int>(config_.peerTimeoutMs / 3000));
    setInt(socket_, ZMQ_TCP_MAXRT, static_cast<int>(config_.peerTimeoutMs));
    setInt(socket_, ZMQ_TCP_KEEPALIVE, 1);
    setInt(socket_, ZMQ_TCP_KEEPALIVE_IDLE, seconds);
    setInt(socket_, ZMQ_TCP_KEEPALIVE_INTVL, std::max(1, seconds / 3));
    setInt(socket_, ZMQ_TCP_KEEPALIVE_CNT, 3);
  }
  // The monitor first, so that no connection goes uncounted.
  std::string monitorAddress = "inproc://zzs-endpoint-monitor-" + std::to_string(++monitors);
  zmq_socket_monitor(socket_, monitorAddress.c_str(), ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED);
  monitor_ = zmq_socket(context, ZMQ_PAIR);
  zmq_connect(monitor_, monitorAddress.c_str());
  int rc = config_.bind ? zmq_bind(socket_, address.c_str()) : zmq_connect(socket_, address.c_str());
  if (rc != 0) {
    int error = zmq_errno();
    closeSocket(0);
    errno = error;
    return zmq_strerror(error);
  }
  // Only the first time: snapshot() reads it from Node.js's thread, and a socket reopened
  // after a reset takes the very address subscribers know.
  if (config_.bind && boundAddress_.empty()) {
    char bound[1024];
    size_t size = sizeof bound;
    if (zmq_getsockopt(socket_, ZMQ_LAST_ENDPOINT, bound, &size) == 0) boundAddress_ = bound;
  }
  return "";
}

void Endpoint::closeSocket(int64_t lingerMs) {
  if (socket_ == nullptr) return;
  zmq_socket_monitor(socket_, nullptr, 0);
  setInt(monitor_, ZMQ_LINGER, 0);
  zmq_close(monitor_);
  monitor_ = nullptr;
  setInt(socket_, ZMQ_LINGER, static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(lingerMs, INT32_MAX))));
  zmq_close(socket_);
  socket_ = nullptr;
  counters_.peers.store(0);
  if (partSent_) {
    // libzmq discards the half-sent message with the socket: the record was handed over.
    partSent_ = false;
    QueuedRecord* head = queue_.head();
    counters_.sentByPath[head->logPath->id].add();
    counters_.sentBytes.add(head->bytes);
    queue_.shift();
  }
}

void Endpoint::warn(const std::string& kind, int64_t now, const char* message, Fields fields) {
  uint64_t suppressed = 0;
  if (!warnings_.due(kind, now, &suppressed)) return;
  fields.number("suppressed", static_cast<double>(suppressed));
  emit_({"warn", message, fields.json()});
}

void Endpoint::readSubscriptions(int64_t now) {
  if (socket_ == nullptr) return;
  zmq_msg_t message;
  zmq_msg_init(&message);
  while (socket_ != nullptr && zmq_msg_recv(&message, socket_, ZMQ_DONTWAIT) >= 0) {
    auto change = subscriptions_.apply(static_cast<const unsigned char*>(zmq_msg_data(&message)), zmq_msg_size(&message));
    if (change == SubscriptionChange::kUnchanged) {
      int64_t peers = std::max<int64_t>(counters_.peers.load(std::memory_order_relaxed), subscriptions_.any() ? 1 : 0);
      if (!idleMessages_.spend(static_cast<uint64_t>(peers), now)) refuse(kSubscriptionFlood, now);
    }
    if (change == SubscriptionChange::kTopicTooLarge) refuse(kTopicTooLarge, now);
    if (change == SubscriptionChange::kTooManySubscriptions) refuse(kTooManySubscriptions, now);
  }
  zmq_msg_close(&message);
}

void Endpoint::refuse(SubscriptionReject reason, int64_t now) {
  counters_.subscriptionsRejected[reason].add();
  warn(std::string("subscription-") + config_.name + "-" + kSubscriptionRejectNames[reason], now, "subscription refused",
       Fields().text("endpoint", config_.name).text("reason", kSubscriptionRejectNames[reason]));
  if (reason != kTopicTooLarge) reset(reason, now);
}

/**
 * Drops every connection of the endpoint, the one way libzmq offers to be rid of a peer
 * that sends topics past the limits (see #reset in src/output/xpub-transport.ts): the
 * socket is closed and, after a pause that doubles while resets follow each other, a new
 * one takes the same address. Subscribers reconnect and subscribe again on their own.
 */
void Endpoint::reset(SubscriptionReject reason, int64_t now) {
  if (resetting_ || closed_) return;
  counters_.resets.add();
  resetReason_ = reason;
  resetPauseMs_ = now - lastReset_ > kResetForgetAfterMs ? kResetPauseFirstMs : std::min(kResetPauseMaxMs, resetPauseMs_ * 2);
  lastReset_ = now;
  closeSocket(0);
  subscriptions_.clear();
  idleMessages_.clear();
  resetting_ = true;
  reopenAt_ = now + resetPauseMs_;
  reopenDeadline_ = reopenAt_ + kRebindTimeoutMs;
}

void Endpoint::reopenIfDue(int64_t now) {
  if (!resetting_ || closed_ || now < reopenAt_) return;
  std::string address = this->address();  // for tcp://host:*, the port subscribers know
  std::string problem = openSocket(context_, address);
  if (problem.empty()) {
    resetting_ = false;
    emit_({"warn", "subscriptions past the limits: dropped every connection of the endpoint",
           Fields().text("endpoint", config_.name).text("address", address).text("reason", kSubscriptionRejectNames[resetReason_]).json()});
    return;
  }
  // libzmq may not have released the old socket's port yet.
  if (zmq_errno() == EADDRINUSE && now < reopenDeadline_) {
    reopenAt_ = now + kRebindRetryMs;
    return;
  }
  resetting_ = false;
  counters_.open.store(false);  // /readyz names it
  emit_({"error", "could not reopen the endpoint after dropping its connections", Fields().text("endpoint", config_.name).text("err", problem).json()});
}

void Endpoint::readMonitor() {
  if (monitor_ == nullptr) return;
  zmq_msg_t frame;
  zmq_msg_init(&frame);
  while (zmq_msg_recv(&frame, monitor_, ZMQ_DONTWAIT) >= 0) {
    uint16_t event = 0;
    if (zmq_msg_size(&frame) >= 2) std::memcpy(&event, zmq_msg_data(&frame), sizeof event);
    while (zmq_msg_more(&frame) && zmq_msg_recv(&frame, monitor_, ZMQ_DONTWAIT) >= 0) {
    }
    if (event == ZMQ_EVENT_ACCEPTED || event == ZMQ_EVENT_CONNECTED) counters_.peers.fetch_add(1, std::memory_order_relaxed);
    if (event == ZMQ_EVENT_DISCONNECTED) counters_.peers.fetch_sub(1, std::memory_order_relaxed);
  }
  zmq_msg_close(&frame);
}

int64_t Endpoint::nextWork() const {
  if (closed_) return kNever;
  if (resetting_) return reopenAt_;
  if (socket_ == nullptr || queue_.length() == 0 || (!subscriptions_.any() && !partSent_)) return kNever;
  return retryAt_;
}

void Endpoint::pump(int64_t now) {
  if (socket_ == nullptr || now < retryAt_) return;
  for (int sends = 0; sends < kSendsPerTurn; sends++) {
    QueuedRecord* head = queue_.head();
    if (head == nullptr) return;
    if (!partSent_) {
      // Held while nobody subscribes: a record sent now would reach nobody.
      if (!subscriptions_.any()) return;
      // A record no subscriber's topic prefixes would vanish inside libzmq: counted instead.
      if (!subscriptions_.wants(head->logPath)) {
        queue_.shift();
        counters_.filtered.add();
        continue;
      }
      if (window_.admit(head->bytes)) setInt(socket_, ZMQ_SNDHWM, static_cast<int>(window_.hwm()));
      if (zmq_msg_send(&head->path, socket_, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) return sendFailed(now);
      partSent_ = true;
    }
    if (zmq_msg_send(&head->body, socket_, ZMQ_DONTWAIT) < 0) return sendFailed(now);
    partSent_ = false;
    counters_.sentByPath[head->logPath->id].add();
    counters_.sentBytes.add(head->bytes);
    queue_.shift();
    if (window_.sent()) setInt(socket_, ZMQ_SNDHWM, static_cast<int>(window_.hwm()));
    backoffMs_ = kFullRetryFirstMs;
  }
}

/** The record stays at the head of the queue, to be tried again. */
void Endpoint::sendFailed(int64_t now) {
  int error = zmq_errno();
  if (error == EINTR) return;
  if (error == EAGAIN) {
    // A subscriber's buffer is full (ZMQ_XPUB_NODROP): it will have room shortly.
    counters_.fullPauses.add();
    retryAt_ = now + backoffMs_;
    backoffMs_ = std::min(kFullRetryMaxMs, backoffMs_ * 2);
    return;
  }
  retryAt_ = now + kErrorRetryMs;
  warn("send-" + config_.name, now, "endpoint send failed; will retry", Fields().text("endpoint", config_.name).text("err", zmq_strerror(error)));
}

void Endpoint::close(int64_t lingerMs) {
  if (closed_) return;
  closed_ = true;
  resetting_ = false;
  closeSocket(lingerMs);
  counters_.dropped[kShutdown].add(queue_.clear());
  counters_.open.store(false);
}

}  // namespace zzs
