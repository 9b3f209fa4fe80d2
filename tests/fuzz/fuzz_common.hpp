// Anticipated failures are mlgate::Error; any other exception escaping a parser is a bug.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string_view>

#include "mlgate/base/error.hpp"

template <class F>
void expect_only_mlgate_errors(F&& f) {
  try {
    f();
  } catch (const mlgate::Error&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "unexpected exception: %s\n", e.what());
    std::abort();
  }
}
