// The settings the plane runs with: what native-plane.ts hands over from ShipperConfig.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace zzs {

struct EndpointConfig {
  std::string name;
  std::string address;
  bool bind = false;  // else connect
  bool tcp = false;
  uint64_t hwm = 1000;
  uint64_t hwmBytes = 0;
  int64_t lingerMs = 0;
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  int64_t peerTimeoutMs = 0;
  uint64_t maxTopicBytes = 256;
  uint64_t maxSubscriptions = 1024;
};

struct PlaneConfig {
  std::vector<std::string> inputs;
  uint64_t maxRecordBytes = 0;
  uint32_t maxPaths = 1024;
  int64_t pathIdleMs = 0;
  uint64_t memoryLimitBytes = 0;
  std::vector<EndpointConfig> endpoints;
};

}  // namespace zzs
