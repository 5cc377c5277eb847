// Keeps the bytes libzmq holds for an endpoint under a quarter of its hwm_bytes although
// libzmq counts its send buffer in messages: src/output/send-window.ts, the same rule.
#pragma once

#include <algorithm>
#include <cstdint>

namespace zzs {

class SendWindow {
 public:
  SendWindow(uint64_t limitBytes, uint64_t maxHwm) : limitBytes_(limitBytes), maxHwm_(maxHwm), hwm_(maxHwm) {}

  uint64_t hwm() const { return hwm_; }

  /** Before a record of `bytes` is handed to libzmq; true when the mark changed. */
  bool admit(uint64_t bytes) {
    if (bytes <= largest_) return false;
    largest_ = bytes;
    return update();
  }

  /** After a record was handed to libzmq; true when the mark changed. */
  bool sent() {
    if (++sendsInRound_ < maxHwm_) return false;
    // Two rounds of maxHwm sends: the largest of both covers at least the last maxHwm.
    largestBefore_ = largest_;
    largest_ = 0;
    sendsInRound_ = 0;
    return update();
  }

 private:
  bool update() {
    uint64_t largest = std::max(largest_, largestBefore_);
    uint64_t hwm = largest == 0 ? maxHwm_ : std::max<uint64_t>(1, std::min(maxHwm_, limitBytes_ / largest));
    if (hwm == hwm_) return false;
    hwm_ = hwm;
    return true;
  }

  uint64_t limitBytes_;
  uint64_t maxHwm_;
  uint64_t largest_ = 0;
  uint64_t largestBefore_ = 0;
  uint64_t sendsInRound_ = 0;
  uint64_t hwm_;
};

}  // namespace zzs
