#include "path-table.h"

namespace zzs {

static const bool* allowedBytes() {
  static bool table[256] = {};
  for (const char* c = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"; *c != 0; c++) table[static_cast<unsigned char>(*c)] = true;
  return table;
}

const bool* const PathTable::kAllowed = allowedBytes();

PathTable::PathTable(size_t endpoints, Admits admits, uint32_t maxPaths, int64_t now)
    : endpoints_(endpoints), admits_(std::move(admits)), maxPaths_(maxPaths), clock_(now) {
  slots_.reserve(maxPaths);
  byName_.reserve(maxPaths);
}

LogPath* PathTable::add(std::string name) {
  auto path = std::make_unique<LogPath>();
  path->incarnation = ++incarnations_;
  path->name = std::move(name);
  path->lastSeen = clock_;
  path->admitted.resize(endpoints_);
  for (size_t i = 0; i < endpoints_; i++) path->admitted[i] = admits_(i, path->name);
  std::lock_guard<std::mutex> hold(mutex_);
  if (freeIds_.empty()) {
    path->id = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    path->id = freeIds_.back();
    freeIds_.pop_back();
  }
  LogPath* raw = path.get();
  slots_[raw->id] = std::move(path);
  byName_.emplace(std::string_view(raw->name), raw);
  live_++;
  return raw;
}

void PathTable::setEndpoints(size_t endpoints) {
  endpoints_ = endpoints;
  for (auto& slot : slots_) {
    if (!slot) continue;
    slot->admitted.assign(endpoints, false);
    for (size_t i = 0; i < endpoints; i++) slot->admitted[i] = admits_(i, slot->name);
  }
}

void PathTable::expire(int64_t now, int64_t idleMs, const std::function<void(uint32_t)>& forgotten) {
  clock_ = now;
  std::lock_guard<std::mutex> hold(mutex_);
  for (auto& slot : slots_) {
    if (!slot || now - slot->lastSeen < idleMs || slot->queued > 0) continue;
    forgotten(slot->id);
    byName_.erase(std::string_view(slot->name));
    freeIds_.push_back(slot->id);
    live_--;
    slot.reset();
  }
}

}  // namespace zzs
