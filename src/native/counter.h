// Counters and gauges that the plane's thread writes and snapshot() reads from Node.js's
// thread. One writer each, so an increment is a plain load and store (no locked
// instruction per record); the atomics only keep the reader from seeing a torn value.
#pragma once

#include <atomic>
#include <cstdint>

namespace zzs {

class Counter {
 public:
  void add(uint64_t n = 1) { value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void set(uint64_t n) { value_.store(n, std::memory_order_relaxed); }
  uint64_t get() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

}  // namespace zzs
