// Live reconfigure of the plane's endpoints, with the JavaScript plane's semantics (see
// reconfigure in src/plane/js-plane.ts): Node.js's thread leaves the new set in a slot
// under a mutex and wakes the poll; the plane's thread swaps it in between two records,
// so that every record routed from then on goes to the new set. The running endpoints
// not kept are moved aside, keep sending until their queue is empty or their linger is
// over, and close; a changed endpoint's replacement opens only after its old one closed.

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "plane.h"

namespace zzs {

// The same values as src/plane/address-released.ts and the rebind in endpoint.cc.
static const int64_t kFileWaitMs = 2000, kRebindTimeoutMs = 10000, kRetryMs = 10;

std::future<ReconfigureResult> Plane::reconfigure(std::vector<EndpointConfig> endpoints, std::vector<int> keep) {
  auto command = std::make_unique<Reconfiguration>();
  command->endpoints = std::move(endpoints);
  command->keep = std::move(keep);
  std::future<ReconfigureResult> future = command->done.get_future();
  {
    std::lock_guard<std::mutex> hold(commandMutex_);
    if (!accepting_ || requested_) {
      for (const auto& endpoint : command->endpoints) command->result.failed.emplace_back(endpoint.name, accepting_ ? "a reconfigure is under way" : "the plane is not running");
      command->done.set_value(std::move(command->result));
      return future;
    }
    requested_ = std::move(command);
    reconfigureRequested_.store(true);
  }
  char byte = 1;
  if (::write(wake_[1], &byte, 1) < 0) {
    // The pipe is full: the thread has wake-ups waiting already.
  }
  return future;
}

static std::string ipcFile(const std::string& address) {
  const std::string scheme = "ipc://";
  if (address.rfind(scheme, 0) != 0 || address.size() == scheme.size() || address[scheme.size()] == '@') return "";
  return address.substr(scheme.size());
}

static bool exists(const std::string& file) {
  struct stat status;
  return ::stat(file.c_str(), &status) == 0;
}

static RetiredEndpoint summaryOf(Endpoint& endpoint) {
  RetiredEndpoint summary;
  EndpointCounters& counters = endpoint.counters();
  summary.name = endpoint.config().name;
  summary.sent = counters.sentForgotten.get();
  for (const auto& counter : counters.sentByPath) summary.sent += counter.get();
  summary.filtered = counters.filtered.get();
  for (int reason = 0; reason < kDropReasons; reason++) summary.dropped[reason] = counters.dropped[reason].get();
  return summary;
}

void Plane::beginReconfiguration(int64_t now) {
  {
    std::lock_guard<std::mutex> hold(commandMutex_);
    applying_ = std::move(requested_);
    reconfigureRequested_.store(false);
  }
  if (!applying_) return;
  Reconfiguration& command = *applying_;
  std::vector<std::unique_ptr<Endpoint>> next;
  std::vector<bool> kept(endpoints_.size(), false);
  for (size_t i = 0; i < command.endpoints.size(); i++) {
    int keep = command.keep[i];
    if (keep >= 0 && static_cast<size_t>(keep) < endpoints_.size() && !kept[keep]) {
      kept[keep] = true;
      next.push_back(nullptr);  // moved below, under the mutex
    } else {
      command.keep[i] = -1;
      // Its queue exists from now on: records routed after the swap wait in it.
      next.push_back(std::make_unique<Endpoint>(command.endpoints[i], config_.maxPaths, budget_, warnings_, emit_));
    }
  }
  {
    // snapshot() reads the endpoints and the paths' filters under this mutex.
    std::lock_guard<std::mutex> hold(paths_.mutex());
    for (size_t i = 0; i < next.size(); i++) {
      if (!next[i]) {
        next[i] = std::move(endpoints_[command.keep[i]]);
        command.endpoints[i] = next[i]->config();
      }
    }
    for (auto& old : endpoints_) {
      if (!old) continue;
      int64_t deadline = now + old->config().lingerMs;
      retiring_.push_back({std::move(old), deadline});
    }
    endpoints_ = std::move(next);
    config_.endpoints = command.endpoints;
    paths_.setEndpoints(endpoints_.size());
  }
  for (size_t i = 0; i < endpoints_.size(); i++) {
    if (command.keep[i] >= 0) continue;
    Opening opening{endpoints_[i].get(), nullptr, "", 0, 0, 0};
    for (const auto& old : retiring_) {
      if (old.endpoint->config().name != endpoints_[i]->config().name) continue;
      opening.after = old.endpoint.get();
      if (old.endpoint->config().bind) opening.releasedFile = ipcFile(old.endpoint->address());
    }
    opening_.push_back(opening);
  }
  advanceReconfiguration(now);
}

/** Closes retired endpoints that are done, opens new ones whose turn has come; reports when all is done. */
void Plane::advanceReconfiguration(int64_t now) {
  if (!applying_) return;
  ReconfigureResult& result = applying_->result;
  for (auto& old : retiring_) {
    Endpoint& endpoint = *old.endpoint;
    if (endpoint.closed() || (endpoint.queue().length() > 0 && now < old.deadline)) continue;
    endpoint.close(old.deadline - now);
    result.retired.push_back(summaryOf(endpoint));
  }
  for (auto it = opening_.begin(); it != opening_.end();) {
    Opening& opening = *it;
    if (opening.after != nullptr && !opening.after->closed()) {
      ++it;
      continue;
    }
    if (opening.waitDeadline == 0) {
      opening.waitDeadline = now + kFileWaitMs;
      opening.bindDeadline = now + kRebindTimeoutMs;
    }
    // libzmq removes a closed socket's file in the background: it would remove the new one's.
    bool fileGone = opening.releasedFile.empty() || !exists(opening.releasedFile) || now >= opening.waitDeadline;
    if (!fileGone || now < opening.retryAt) {
      if (!fileGone) opening.retryAt = now + kRetryMs;
      ++it;
      continue;
    }
    std::string problem;
    {
      // snapshot() reads the address an endpoint learns as it binds.
      std::lock_guard<std::mutex> hold(paths_.mutex());
      problem = opening.endpoint->open(context_);
    }
    if (!problem.empty() && zmq_errno() == EADDRINUSE && opening.after != nullptr && now < opening.bindDeadline) {
      // The old socket's tcp port may not be free yet.
      opening.retryAt = now + kRetryMs;
      ++it;
      continue;
    }
    const EndpointConfig& c = opening.endpoint->config();
    if (problem.empty()) result.opened.push_back(c.name);
    else result.failed.emplace_back(c.name, std::string("cannot ") + (c.bind ? "bind " : "connect ") + c.address + ": " + problem);
    it = opening_.erase(it);
  }
  bool closing = std::any_of(retiring_.begin(), retiring_.end(), [](const Retiring& old) { return !old.endpoint->closed(); });
  if (closing || !opening_.empty()) return;
  retiring_.clear();
  applying_->done.set_value(std::move(result));
  applying_.reset();
}

/**
 * The plane stops: new endpoints not yet open stay closed (their records are counted as
 * dropped at shutdown with the rest); retired ones keep their linger unless `abort`. Also
 * answers a reconfigure handed over too late.
 */
void Plane::endReconfiguration(bool abort, int64_t now) {
  std::unique_ptr<Reconfiguration> late;
  {
    std::lock_guard<std::mutex> hold(commandMutex_);
    accepting_ = false;
    late = std::move(requested_);
    reconfigureRequested_.store(false);
  }
  if (late) {
    for (const auto& endpoint : late->endpoints) late->result.failed.emplace_back(endpoint.name, "the plane is stopping");
    late->done.set_value(std::move(late->result));
  }
  if (!applying_) return;
  for (const auto& opening : opening_) applying_->result.failed.emplace_back(opening.endpoint->config().name, "the plane is stopping");
  opening_.clear();
  if (abort)
    for (auto& old : retiring_) old.deadline = now;
  advanceReconfiguration(now);
}

int64_t Plane::reconfigurationWakeAt() const {
  int64_t wakeAt = kNever;
  for (const auto& old : retiring_)
    if (!old.endpoint->closed()) wakeAt = std::min(wakeAt, old.deadline);
  for (const auto& opening : opening_)
    if (opening.after == nullptr || opening.after->closed()) wakeAt = std::min(wakeAt, opening.retryAt);
  return wakeAt;
}

}  // namespace zzs
