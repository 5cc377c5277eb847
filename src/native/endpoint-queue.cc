#include "endpoint-queue.h"

#include <algorithm>

namespace zzs {

// A large hwm costs memory only when records actually pile up.
static const uint64_t kInitialSlots = 1024;

static void initSlots(std::vector<QueuedRecord>& ring, size_t from) {
  for (size_t i = from; i < ring.size(); i++) {
    zmq_msg_init(&ring[i].path);
    zmq_msg_init(&ring[i].body);
    ring[i].logPath = nullptr;
    ring[i].bytes = 0;
  }
}

EndpointQueue::EndpointQueue(uint64_t capacity, uint64_t capacityBytes, MemoryBudget& budget)
    : capacity_(capacity), capacityBytes_(capacityBytes), budget_(budget), ring_(std::min(capacity, kInitialSlots)) {
  initSlots(ring_, 0);
}

EndpointQueue::~EndpointQueue() {
  clear();
  for (auto& slot : ring_) {
    zmq_msg_close(&slot.path);
    zmq_msg_close(&slot.body);
  }
}

DropReason EndpointQueue::push(zmq_msg_t* path, zmq_msg_t* body, LogPath* logPath, bool take) {
  uint64_t bytes = zmq_msg_size(path) + zmq_msg_size(body);
  if (length_ >= capacity_ || bytes_ + bytes > capacityBytes_) return kQueueFull;
  if (budget_.used + bytes > budget_.limit) return kMemoryLimit;
  budget_.used += bytes;
  if (length_ == ring_.size()) grow();
  QueuedRecord& slot = ring_[(head_ + length_) % ring_.size()];
  if (take) {
    zmq_msg_move(&slot.path, path);
    zmq_msg_move(&slot.body, body);
  } else {
    zmq_msg_copy(&slot.path, path);
    zmq_msg_copy(&slot.body, body);
  }
  slot.logPath = logPath;
  slot.bytes = bytes;
  logPath->queued++;  // keeps the path table from forgetting the path while its record waits
  length_++;
  bytes_ += bytes;
  publish();
  return kNotDropped;
}

void EndpointQueue::shift() {
  if (length_ == 0) return;
  QueuedRecord& slot = ring_[head_];
  slot.logPath->queued--;
  bytes_ -= slot.bytes;
  budget_.used -= slot.bytes;
  // zmq_msg_send empties a message it takes; a record dropped here still holds its data.
  zmq_msg_close(&slot.path);
  zmq_msg_init(&slot.path);
  zmq_msg_close(&slot.body);
  zmq_msg_init(&slot.body);
  slot.logPath = nullptr;
  head_ = (head_ + 1) % ring_.size();
  length_--;
  publish();
}

uint64_t EndpointQueue::clear() {
  uint64_t held = length_;
  while (length_ > 0) shift();
  head_ = 0;
  return held;
}

void EndpointQueue::grow() {
  std::vector<QueuedRecord> ring(std::min<uint64_t>(capacity_, ring_.size() * 2));
  initSlots(ring, 0);
  for (uint64_t i = 0; i < length_; i++) {
    QueuedRecord& from = ring_[(head_ + i) % ring_.size()];
    zmq_msg_move(&ring[i].path, &from.path);
    zmq_msg_move(&ring[i].body, &from.body);
    ring[i].logPath = from.logPath;
    ring[i].bytes = from.bytes;
  }
  for (auto& slot : ring_) {
    zmq_msg_close(&slot.path);
    zmq_msg_close(&slot.body);
  }
  ring_.swap(ring);
  head_ = 0;
}

}  // namespace zzs
