// Rare events for Node.js's logger (errors, refusals, rate-limited warnings), sent through
// a thread-safe function: never one per record.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace zzs {

struct Event {
  std::string level;  // a pino level: debug, info, warn, error
  std::string message;
  std::string fields;  // a JSON object
};

using Emit = std::function<void(Event&&)>;

/** Builds the JSON object of an event's fields. */
class Fields {
 public:
  Fields& text(const char* key, std::string_view value) {
    open(key);
    out_ += '"';
    for (unsigned char c : value) {
      // Bytes as latin1 characters, as the JavaScript plane logs a path frame.
      if (c == '"' || c == '\\') {
        out_ += '\\';
        out_ += static_cast<char>(c);
      } else if (c < 0x20 || c >= 0x7f) {
        char escaped[8];
        std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
        out_ += escaped;
      } else {
        out_ += static_cast<char>(c);
      }
    }
    out_ += '"';
    return *this;
  }
  Fields& number(const char* key, double value) {
    open(key);
    char digits[32];
    std::snprintf(digits, sizeof digits, "%.17g", value);
    out_ += digits;
    return *this;
  }
  /** A JSON value written by the caller. */
  Fields& raw(const char* key, const std::string& json) {
    open(key);
    out_ += json;
    return *this;
  }
  std::string json() const { return out_ + "}"; }

 private:
  void open(const char* key) {
    out_ += out_.size() == 1 ? "\"" : ",\"";
    out_ += key;
    out_ += "\":";
  }
  std::string out_ = "{";
};

/**
 * The first event of each kind, then at most one per interval with how many were
 * suppressed in between, as RateLimitedLog in src/logger.ts. Counting stays exact in the
 * counters.
 */
class RateLimitedLog {
 public:
  explicit RateLimitedLog(int64_t intervalMs = 10000) : intervalMs_(intervalMs) {}

  /** Whether an event of `kind` is to be logged now; if so, *suppressed says how many were not. */
  bool due(const std::string& kind, int64_t now, uint64_t* suppressed) {
    auto found = last_.find(kind);
    if (found != last_.end() && now - found->second.at < intervalMs_) {
      found->second.suppressed++;
      return false;
    }
    *suppressed = found == last_.end() ? 0 : found->second.suppressed;
    last_[kind] = {now, 0};
    return true;
  }

 private:
  struct Last {
    int64_t at;
    uint64_t suppressed;
  };
  int64_t intervalMs_;
  std::unordered_map<std::string, Last> last_;
};

}  // namespace zzs
