// The native data plane: the input SUB socket, the path table and the endpoints, run by
// one thread of its own over libzmq (poll, receive, queue, send), in the manner of
// zmq_proxy_steerable. Node.js's thread binds the sockets, reads the counters
// (snapshot) and asks the thread to stop; it is never called per record.
#pragma once

#include <zmq.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "counter.h"
#include "endpoint.h"
#include "events.h"
#include "path-table.h"
#include "plane-config.h"
#include "reasons.h"

namespace zzs {

struct InputCounters {
  Counter bytes;
  Counter rejected[kRejectReasons];
  Counter disconnects[kDisconnectReasons];
};

class Plane {
 public:
  Plane(PlaneConfig config, Emit emit);
  ~Plane();

  /** Opens the endpoints, then binds the input, then starts the thread. "" or why not (and nothing left open). */
  std::string start();
  /** Asks the thread to stop: `drain` gives each endpoint its linger, else everything closes at once. */
  void requestStop(bool drain);
  /** Waits for the thread to end (after requestStop). Not on Node.js's main thread. */
  void join();
  /** After join(): closes what is left and waits for libzmq to deliver within the lingers. Not on Node.js's main thread. */
  void finish();

  const std::vector<std::string>& inputAddresses() const { return inputAddresses_; }
  const InputCounters& input() const { return input_; }
  PathTable& paths() { return paths_; }
  std::vector<std::unique_ptr<Endpoint>>& endpoints() { return endpoints_; }
  bool running() const { return thread_.joinable(); }
  /** Failures inside the plane's loop that it logged and survived (a bug, or the system out of something). */
  const Counter& internalErrors() const { return internalErrors_; }

 private:
  void run();
  bool readInput(int64_t now);
  void route(int64_t now);
  void reject(RejectReason reason, int frames, const std::vector<size_t>& frameBytes, int64_t now);
  void drainInput(int64_t now);
  void closeInput();
  void readInputMonitor();
  void closeAll();

  PlaneConfig config_;
  Emit emit_;
  RateLimitedLog warnings_;
  std::string rejectKinds_[kRejectReasons];
  MemoryBudget budget_;
  PathTable paths_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  InputCounters input_;
  std::vector<std::string> inputAddresses_;
  void* context_;
  void* inputSocket_ = nullptr;
  void* inputMonitor_ = nullptr;
  uint64_t failedHandshakes_ = 0;
  zmq_msg_t path_;
  zmq_msg_t body_;
  zmq_msg_t extra_;
  int wake_[2] = {-1, -1};  // a pipe: Node.js's thread writes a byte to wake the poll
  std::atomic<int> command_{0};
  Counter internalErrors_;
  std::thread thread_;
};

int64_t nowMs();

}  // namespace zzs
