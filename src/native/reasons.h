// The reasons the plane counts under, in the order of src/record/reasons.ts: the addon
// exports these names and native-plane.ts checks them against that module when it loads.
#pragma once

namespace zzs {

enum RejectReason { kFrameCount, kEmptyPath, kPathTooLong, kPathInvalid, kTooManyPaths, kEmptyRecord, kRecordTooLarge, kRejectReasons };
inline const char* const kRejectNames[kRejectReasons] = {"frame_count", "empty_path", "path_too_long", "path_invalid", "too_many_paths", "empty_record", "record_too_large"};

enum DisconnectReason { kHandshakeFailed, kClosed, kDisconnectReasons };
inline const char* const kDisconnectNames[kDisconnectReasons] = {"handshake_failed", "closed"};

// The native plane has no disk spool (native-plane.ts refuses one): it never counts the last two.
enum DropReason { kQueueFull, kMemoryLimit, kShutdown, kSpoolFull, kSpoolError, kDropReasons, kNotDropped = kDropReasons };
inline const char* const kDropNames[kDropReasons] = {"queue_full", "memory_limit", "shutdown", "spool_full", "spool_error"};

enum SubscriptionReject { kTopicTooLarge, kTooManySubscriptions, kSubscriptionFlood, kSubscriptionRejects };
inline const char* const kSubscriptionRejectNames[kSubscriptionRejects] = {"topic_too_large", "too_many_subscriptions", "subscription_flood"};

}  // namespace zzs
