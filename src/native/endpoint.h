// One endpoint: its queue, its XPUB socket and the sends from one to the other, run on the
// plane's thread. Everything a slow, dead or absent subscriber can do stays inside this
// object: the input and the other endpoints never wait on it.
#pragma once

#include <zmq.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "counter.h"
#include "endpoint-queue.h"
#include "events.h"
#include "plane-config.h"
#include "reasons.h"
#include "send-window.h"
#include "subscriptions.h"

namespace zzs {

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

struct EndpointCounters {
  Counter sentBytes;
  Counter filtered;
  Counter dropped[kDropReasons];
  std::vector<Counter> sentByPath;  // by LogPath id
  Counter sentForgotten;  // sent records of paths the table has since forgotten
  Counter subscriptionsRejected[kSubscriptionRejects];
  Counter resets;
  Counter fullPauses;  // sends that waited for a full subscriber: one per retry, never per record
  std::atomic<int64_t> peers{0};
  std::atomic<bool> open{false};
  explicit EndpointCounters(uint32_t maxPaths) : sentByPath(maxPaths) {}
};

class Endpoint {
 public:
  Endpoint(const EndpointConfig& config, uint32_t maxPaths, MemoryBudget& budget, RateLimitedLog& warnings, const Emit& emit);
  ~Endpoint();

  /** Makes the socket and binds or connects it; "" or why not. Before the plane's thread starts. */
  std::string open(void* context);

  const EndpointConfig& config() const { return config_; }
  const std::string& address() const { return boundAddress_.empty() ? config_.address : boundAddress_; }
  EndpointCounters& counters() { return counters_; }
  const EndpointQueue& queue() const { return queue_; }
  const Subscriptions& subscriptions() const { return subscriptions_; }
  bool closed() const { return closed_; }

  /** A record the router admitted for this endpoint: queued, or counted as dropped. */
  void offer(zmq_msg_t* path, zmq_msg_t* body, LogPath* logPath, bool take) {
    DropReason refused = queue_.push(path, body, logPath, take);
    if (refused != kNotDropped) counters_.dropped[refused].add();
  }

  /** The sockets to poll for input (subscriptions, monitor events); null while reset. */
  void* socket() const { return socket_; }
  void* monitor() const { return monitor_; }

  void readSubscriptions(int64_t now);
  void readMonitor();
  /** Sends what the queue holds, as far as the subscribers take it. */
  void pump(int64_t now);
  /** Reopens the socket after a reset, when its pause is over. */
  void reopenIfDue(int64_t now);
  /** When this endpoint has work to do without a socket event: now, later, or kNever. */
  int64_t nextWork() const;
  /** A path forgotten by the table: its sends move to sentForgotten. */
  void forget(uint32_t pathId) {
    counters_.sentForgotten.add(counters_.sentByPath[pathId].get());
    counters_.sentByPath[pathId].set(0);
  }
  /** Counts what is queued as dropped (shutdown) and closes; libzmq gets lingerMs to deliver what it holds. */
  void close(int64_t lingerMs);

 private:
  std::string openSocket(void* context, const std::string& address);
  void closeSocket(int64_t lingerMs);
  void sendFailed(int64_t now);
  void refuse(SubscriptionReject reason, int64_t now);
  void reset(SubscriptionReject reason, int64_t now);
  void warn(const std::string& kind, int64_t now, const char* message, Fields fields);

  EndpointConfig config_;
  EndpointCounters counters_;
  EndpointQueue queue_;
  Subscriptions subscriptions_;
  IdleMessageBudget idleMessages_;
  SendWindow window_;
  RateLimitedLog& warnings_;
  const Emit& emit_;
  void* context_ = nullptr;
  void* socket_ = nullptr;
  void* monitor_ = nullptr;
  std::string boundAddress_;
  bool closed_ = false;
  // The head record's path frame is with libzmq and its body is not yet.
  bool partSent_ = false;
  int64_t retryAt_ = 0;
  int64_t backoffMs_;
  bool resetting_ = false;
  int64_t reopenAt_ = 0;
  int64_t reopenDeadline_ = 0;
  int64_t resetPauseMs_;
  int64_t lastReset_ = 0;
  SubscriptionReject resetReason_ = kTooManySubscriptions;
};

}  // namespace zzs
