// The native data plane: the input SUB socket, the path table and the endpoints, run by
// one thread of its own over libzmq (poll, receive, queue, send), in the manner of
// zmq_proxy_steerable. Node.js's thread binds the sockets, reads the counters
// (snapshot), hands over a new endpoint set (reconfigure) and asks the thread to stop;
// it is never called per record.
#pragma once

#include <zmq.h>

#include <atomic>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
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

/** An endpoint a reconfigure closed: what it reports in its summary line. */
struct RetiredEndpoint {
  std::string name;
  uint64_t sent = 0;
  uint64_t filtered = 0;
  uint64_t dropped[kDropReasons] = {};
};

struct ReconfigureResult {
  std::vector<RetiredEndpoint> retired;  // the removed endpoints and the old ones of those changed
  std::vector<std::string> opened;
  std::vector<std::pair<std::string, std::string>> failed;  // endpoint, why it did not open
};

class Plane {
 public:
  Plane(PlaneConfig config, Emit emit);
  ~Plane();

  /** Opens the endpoints, then binds the input, then starts the thread. "" or why not (and nothing left open). */
  std::string start();
  /** Asks the thread to stop: `drain` gives each endpoint its linger, else everything closes at once. */
  void requestStop(bool drain);
  /**
   * Replaces the endpoints while records flow: the new set's i-th is the running endpoint
   * keep[i] (untouched: queue, socket, counters) or, for keep[i] < 0, a new one made from
   * endpoints[i]. The thread swaps the set in between two records; the running endpoints
   * not kept drain for their linger and close; a new endpoint replacing one of the same
   * name opens once that one has closed. The result comes when all that is done.
   */
  std::future<ReconfigureResult> reconfigure(std::vector<EndpointConfig> endpoints, std::vector<int> keep);
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
  struct Reconfiguration {
    std::vector<EndpointConfig> endpoints;
    std::vector<int> keep;
    std::promise<ReconfigureResult> done;
    ReconfigureResult result;
  };
  void beginReconfiguration(int64_t now);
  void advanceReconfiguration(int64_t now);
  void endReconfiguration(bool abort, int64_t now);
  int64_t reconfigurationWakeAt() const;

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
  // A reconfigure handed over by Node.js's thread (under commandMutex_), and the one the
  // plane's thread is carrying out (its own); see reconfiguration.cc.
  std::mutex commandMutex_;
  std::unique_ptr<Reconfiguration> requested_;
  bool accepting_ = false;  // while the thread runs and has not begun to stop
  std::atomic<bool> reconfigureRequested_{false};
  std::unique_ptr<Reconfiguration> applying_;
  struct Retiring {
    std::unique_ptr<Endpoint> endpoint;
    int64_t deadline;
  };
  struct Opening {
    Endpoint* endpoint;
    const Endpoint* after;  // the retiring endpoint of the same name, to close first; or null
    std::string releasedFile;  // its ipc socket file, for libzmq to remove first; or ""
    int64_t waitDeadline = 0;
    int64_t retryAt = 0;
    int64_t bindDeadline = 0;
  };
  std::vector<Retiring> retiring_;
  std::vector<Opening> opening_;
  Counter internalErrors_;
  std::thread thread_;
};

int64_t nowMs();

}  // namespace zzs
