// Every distinct log path the input has seen lately, as src/router/path-table.ts keeps
// them: at most maxPaths at once, the allowed bytes [A-Za-z0-9_.-], filters decided once
// per path, and a path not seen for the idle time forgotten unless records of it are queued.
//
// Only the plane's thread changes the table; it takes the mutex only to add or forget a
// path (rare), so that snapshot() can read the live set from Node.js's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "counter.h"
#include "reasons.h"

namespace zzs {

struct LogPath {
  uint32_t id;  // dense, below maxPaths; reused once the path is forgotten
  uint64_t incarnation;  // unique per registration: tells a reused id from the path before it
  std::string name;
  std::vector<bool> admitted;  // admitted[i]: endpoint i's filters let this path through
  Counter records;
  int64_t lastSeen;
  uint64_t queued = 0;  // records of this path in endpoint queues: while any, it is kept
};

class PathTable {
 public:
  using Admits = std::function<bool(size_t endpoint, std::string_view name)>;

  PathTable(size_t endpoints, Admits admits, uint32_t maxPaths, int64_t now);

  /** The path named by a path frame (its length checked by the caller), or nullptr and why not. */
  LogPath* lookup(const char* bytes, size_t size, RejectReason* problem) {
    for (size_t i = 0; i < size; i++) {
      if (!kAllowed[static_cast<unsigned char>(bytes[i])]) {
        *problem = kPathInvalid;
        return nullptr;
      }
    }
    auto found = byName_.find(std::string_view(bytes, size));
    if (found != byName_.end()) {
      found->second->lastSeen = clock_;
      return found->second;
    }
    if (live_ >= maxPaths_) {
      *problem = kTooManyPaths;
      return nullptr;
    }
    return add(std::string(bytes, size));
  }

  /** Forgets paths idle for idleMs (by the sweeps' clock) with nothing queued; calls forgotten(id) for each. */
  void expire(int64_t now, int64_t idleMs, const std::function<void(uint32_t)>& forgotten);

  /**
   * The endpoints changed (a reconfigure): every known path's filters are decided again
   * for the new set. The caller holds the mutex, so that snapshot() sees old or new.
   */
  void setEndpoints(size_t endpoints);

  /** For snapshot(): hold the mutex while reading slots(). */
  std::mutex& mutex() { return mutex_; }
  const std::vector<std::unique_ptr<LogPath>>& slots() const { return slots_; }
  LogPath* at(uint32_t id) const { return slots_[id].get(); }

 private:
  static const bool* const kAllowed;
  LogPath* add(std::string name);

  size_t endpoints_;
  Admits admits_;
  uint32_t maxPaths_;
  int64_t clock_;
  uint32_t live_ = 0;
  uint64_t incarnations_ = 0;
  std::vector<std::unique_ptr<LogPath>> slots_;
  std::vector<uint32_t> freeIds_;
  std::unordered_map<std::string_view, LogPath*> byName_;  // keys point into the paths' names
  std::mutex mutex_;
};

}  // namespace zzs
