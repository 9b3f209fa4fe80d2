#include "mlgate/base/runtime.hpp"

#include <cstdlib>

#include "mlgate/base/error.hpp"
#include "mlgate/base/number.hpp"

namespace mlgate {

namespace {
Runtime g_runtime;
}  // namespace

Runtime runtime_from_env() {
  Runtime r;
  if (const char* t = std::getenv("MLGATE_THREADS"); t && *t) {
    double v = 0;
    if (!parse_number(t, &v) || v < 1 || v > 64 || v != static_cast<double>(static_cast<int>(v)))
      throw Error("MLGATE_THREADS must be a whole number from 1 to 64, not " + quote(t),
                  "environment", "unset it to use every core");
    r.threads = static_cast<unsigned>(v);
  }
  if (const char* m = std::getenv("MLGATE_MEMORY_LIMIT"); m && *m) {
    std::string s(m);
    double mult = 1;
    if (!s.empty()) {
      switch (s.back()) {
        case 'K':
        case 'k':
          mult = 1024.0;
          break;
        case 'M':
        case 'm':
          mult = 1048576.0;
          break;
        case 'G':
        case 'g':
          mult = 1073741824.0;
          break;
        default:
          break;
      }
      if (mult > 1) s.pop_back();
    }
    double v = 0;
    if (!parse_number(s, &v) || !(v * mult >= 1) || v * mult > 1.8e19)
      throw Error("MLGATE_MEMORY_LIMIT must be a size in bytes, or with K, M or G, not " + quote(m),
                  "environment", "e.g. 8G; unset it to use 80% of the memory available");
    r.memory_limit = static_cast<std::uint64_t>(v * mult);
  }
  if (const char* t = std::getenv("MLGATE_TIMING"); t && *t) {
    std::string s(t);
    if (s == "1" || s == "true" || s == "yes")
      r.timing = true;
    else if (!(s == "0" || s == "false" || s == "no"))
      throw Error("MLGATE_TIMING must be 1 or 0, not " + quote(t), "environment", "");
  }
  return r;
}

void set_runtime(const Runtime& r) { g_runtime = r; }

const Runtime& runtime() { return g_runtime; }

}  // namespace mlgate
