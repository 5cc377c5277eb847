// The topics held on one endpoint's XPUB socket as libzmq reports them (ZMQ_XPUB_VERBOSE:
// every subscription, repeats too, and an unsubscription when a topic's last subscriber
// leaves it), bounded in size and number, and matched against a path once per change of
// the topics, not once per record: src/output/subscriptions.ts, the same rules.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "counter.h"
#include "path-table.h"

namespace zzs {

enum class SubscriptionChange { kChanged, kUnchanged, kTopicTooLarge, kTooManySubscriptions };

/**
 * How many messages that change no subscription an endpoint's peers may send in a minute
 * (src/output/idle-message-budget.ts): sixteen times the topic limit, plus the limit once
 * more per connected peer. Past it the endpoint drops its connections (subscription_flood).
 */
class IdleMessageBudget {
 public:
  explicit IdleMessageBudget(uint64_t maxSubscriptions) : maxSubscriptions_(maxSubscriptions) {}

  /** Counts one message that changed nothing; false once the peers are past their allowance. */
  bool spend(uint64_t peers, int64_t now) {
    if (now - windowStart_ >= kWindowMs) {
      windowStart_ = now;
      spent_ = 0;
    }
    return ++spent_ <= maxSubscriptions_ * (kAllowancePerLimit + peers);
  }

  /** A new socket: its peers start afresh. */
  void clear() {
    spent_ = 0;
    windowStart_ = 0;
  }

 private:
  static constexpr int64_t kWindowMs = 60000;
  static constexpr uint64_t kAllowancePerLimit = 16;
  uint64_t maxSubscriptions_;
  int64_t windowStart_ = 0;
  uint64_t spent_ = 0;
};

class Subscriptions {
 public:
  Subscriptions(uint64_t maxTopicBytes, uint64_t maxSubscriptions, uint32_t maxPaths)
      : maxTopicBytes_(maxTopicBytes), maxSubscriptions_(maxSubscriptions), answerGeneration_(maxPaths, 0), answerFor_(maxPaths, 0), answers_(maxPaths, 0) {}

  bool any() const { return !topics_.empty(); }
  const Counter& size() const { return size_; }
  const Counter& comparisons() const { return comparisons_; }

  /** Applies one message read from the XPUB socket; a refused topic is never added. */
  SubscriptionChange apply(const unsigned char* data, size_t size) {
    if (size == 0 || (data[0] != 0 && data[0] != 1)) return SubscriptionChange::kUnchanged;
    std::string topic(reinterpret_cast<const char*>(data) + 1, size - 1);
    if (data[0] == 0) return topics_.erase(topic) > 0 ? changed() : SubscriptionChange::kUnchanged;
    if (topics_.count(topic) > 0) return SubscriptionChange::kUnchanged;
    if (topic.size() > maxTopicBytes_) return SubscriptionChange::kTopicTooLarge;
    if (topics_.size() >= maxSubscriptions_) return SubscriptionChange::kTooManySubscriptions;
    topics_.insert(std::move(topic));
    return changed();
  }

  /** Forgets every topic: the socket that held them is gone. */
  void clear() {
    topics_.clear();
    changed();
  }

  /** Whether some subscriber's topic is a prefix of the path; decided once per path and change. */
  bool wants(const LogPath* path) {
    uint32_t id = path->id;
    if (answerGeneration_[id] == generation_ && answerFor_[id] == path->incarnation) return answers_[id] != 0;
    bool wanted = match(path->name);
    answerGeneration_[id] = generation_;
    answerFor_[id] = path->incarnation;
    answers_[id] = wanted ? 1 : 0;
    return wanted;
  }

 private:
  bool match(std::string_view path) {
    if (topics_.count(std::string()) > 0) return true;  // what subscribers almost always use
    uint64_t compared = 0;
    bool found = false;
    for (const auto& topic : topics_) {
      compared++;
      if (topic.size() <= path.size() && path.compare(0, topic.size(), topic) == 0) {
        found = true;
        break;
      }
    }
    comparisons_.add(compared);
    return found;
  }

  SubscriptionChange changed() {
    generation_++;
    size_.set(topics_.size());
    return SubscriptionChange::kChanged;
  }

  uint64_t maxTopicBytes_;
  uint64_t maxSubscriptions_;
  std::unordered_set<std::string> topics_;
  // Generation 0 is never current: answers start out unknown.
  uint64_t generation_ = 1;
  std::vector<uint64_t> answerGeneration_;
  std::vector<uint64_t> answerFor_;
  std::vector<uint8_t> answers_;
  Counter size_;
  Counter comparisons_;
};

}  // namespace zzs
