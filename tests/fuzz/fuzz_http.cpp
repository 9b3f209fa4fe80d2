// Fuzzes what mlgate-comment reads from outside: Link headers (and the origin check a next link
// must pass), API JSON bodies (comment lists) and the GitHub event file, parsed with the same
// bounded reader. The first byte picks which.
#include "../../src/core/platforms/http.hpp"
#include "fuzz_common.hpp"
#include "mlgate/base/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0: {
      std::string next = mlgate::link_next(text);
      if (next.size() > text.size()) std::abort();
      expect_only_mlgate_errors([&] {
        std::string origin = mlgate::url_origin(next);
        if (origin.rfind("https://", 0) != 0 && origin.rfind("http://", 0) != 0) std::abort();
      });
      break;
    }
    case 1: {  // a page of comments, read as mlgate-comment reads it
      expect_only_mlgate_errors([&] {
        auto j = mlgate::parse_json(text, "API", {mlgate::kMaxJsonDepth, false});
        if (j.is_array())
          for (const auto& c : j)
            if (c.is_object() && c.contains("body") && c["body"].is_string() && c.contains("id"))
              (void)(c["id"].is_string() ? c["id"].get<std::string>() : c["id"].dump());
      });
      break;
    }
    default: {  // the event payload
      expect_only_mlgate_errors([&] {
        auto j = mlgate::parse_json(text, "event", {mlgate::kMaxJsonDepth, false});
        if (j.is_object() && j.contains("pull_request") && j["pull_request"].is_object() &&
            j["pull_request"].contains("number") && j["pull_request"]["number"].is_number())
          (void)j["pull_request"]["number"].get<long long>();
      });
      break;
    }
  }
  return 0;
}
