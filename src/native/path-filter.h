// Include/exclude filters on log paths, with the semantics of src/router/path-filter.ts:
// "*" matches any run of characters, exclude wins, an empty include admits every path.
// Evaluated once per new path, never per record.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace zzs {

/** Whether `name` matches `pattern`, whose only wildcard is "*". */
inline bool matchesPattern(std::string_view pattern, std::string_view name) {
  size_t p = 0, n = 0, star = std::string_view::npos, resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (p < pattern.size() && pattern[p] == name[n]) {
      p++;
      n++;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') p++;
  return p == pattern.size();
}

inline bool admits(const std::vector<std::string>& include, const std::vector<std::string>& exclude, std::string_view name) {
  for (const auto& pattern : exclude)
    if (matchesPattern(pattern, name)) return false;
  if (include.empty()) return true;
  for (const auto& pattern : include)
    if (matchesPattern(pattern, name)) return true;
  return false;
}

}  // namespace zzs
