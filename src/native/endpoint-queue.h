// The bounded FIFO of records waiting for one endpoint, as src/queue/endpoint-queue.ts:
// bounded in records (hwm) and in the bytes of their frames (hwm_bytes), and charged to the
// budget all queues share (memoryLimitBytes). A ring of the messages as the input socket
// received them: queueing moves or reference-copies the zmq_msg_t and allocates nothing
// once the ring has grown to its working size.
#pragma once

#include <zmq.h>

#include <cstdint>
#include <vector>

#include "counter.h"
#include "path-table.h"
#include "reasons.h"

namespace zzs {

/** The bytes all queues may hold together; only the plane's thread uses it. */
struct MemoryBudget {
  uint64_t limit;
  uint64_t used = 0;
};

struct QueuedRecord {
  zmq_msg_t path;
  zmq_msg_t body;
  LogPath* logPath;
  uint64_t bytes;
};

class EndpointQueue {
 public:
  EndpointQueue(uint64_t capacity, uint64_t capacityBytes, MemoryBudget& budget);
  ~EndpointQueue();
  EndpointQueue(const EndpointQueue&) = delete;
  EndpointQueue& operator=(const EndpointQueue&) = delete;

  /**
   * Queues [path, body]: moved when `take` (the last endpoint to want the record), else
   * copied (libzmq shares a large message's data by reference count). Returns why not.
   */
  DropReason push(zmq_msg_t* path, zmq_msg_t* body, LogPath* logPath, bool take);

  /** The record at the head: it stays queued while it is being sent. */
  QueuedRecord* head() { return length_ == 0 ? nullptr : &ring_[head_]; }
  /** Removes the head; its messages have been sent (and so emptied) or are closed here. */
  void shift();
  /** Drops everything; returns how many records were held. */
  uint64_t clear();

  uint64_t length() const { return length_; }
  uint64_t capacity() const { return capacity_; }
  uint64_t capacityBytes() const { return capacityBytes_; }
  /** For snapshot(): the length and bytes as last published by the plane's thread. */
  const Counter& publishedLength() const { return publishedLength_; }
  const Counter& publishedBytes() const { return publishedBytes_; }

 private:
  void grow();
  void publish() {
    publishedLength_.set(length_);
    publishedBytes_.set(bytes_);
  }

  uint64_t capacity_;
  uint64_t capacityBytes_;
  MemoryBudget& budget_;
  std::vector<QueuedRecord> ring_;
  uint64_t head_ = 0;
  uint64_t length_ = 0;
  uint64_t bytes_ = 0;
  Counter publishedLength_;
  Counter publishedBytes_;
};

}  // namespace zzs
