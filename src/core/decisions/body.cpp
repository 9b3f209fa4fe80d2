#include "body.hpp"

#include <zlib.h>

namespace mlgate::body {

void write_ascending(Writer& w, const std::vector<double>& xs) {
  w.var(xs.size());
  const int d = decimal_places(xs);
  w.u8(static_cast<std::uint8_t>(d < 0 ? 255 : d));
  std::int64_t last = 0;
  for (double x : xs) {
    if (d < 0) {
      w.f64(x);
    } else {
      const std::int64_t m = std::llround(x * kPow10[d]);
      w.var(zigzag(m - last));  // ascending: every difference but the first is positive
      last = m;
    }
  }
}

std::vector<double> read_ascending(Reader& r, std::size_t max_count) {
  const std::uint64_t k = r.var();
  if (k > max_count || k > r.left()) r.fail("a list claims more numbers than the body holds");
  const std::uint8_t d = r.u8();
  if (d > 9 && d != 255) r.fail("the numbers' decimal places are out of range");
  std::vector<double> out;
  out.reserve(k);
  std::int64_t m = 0;
  for (std::uint64_t i = 0; i < k; ++i) {
    double x;
    if (d == 255) {
      x = r.f64();
    } else {
      const std::int64_t step = unzigzag(r.var());
      if ((step > 0 && m > (std::int64_t{1} << 53) - step) ||
          (step < 0 && m < -(std::int64_t{1} << 53) - step))
        r.fail("a decimal number is out of range");
      m += step;
      x = static_cast<double>(m) / kPow10[d];
    }
    if (std::isnan(x) || (!out.empty() && !(x > out.back())))
      r.fail("a list of numbers is not ascending and distinct");
    out.push_back(x == 0 ? 0.0 : x);
  }
  return out;
}

std::string deflate(const std::string& raw) {
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  std::string out(size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(out.data()), &size,
                reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()),
                Z_BEST_SPEED) != Z_OK)
    throw Error("could not compress", "output");
  out.resize(size);
  return out;
}

std::string inflate(std::string_view z, std::uint64_t size, const std::string& file,
                    const char* hint) {
  std::string out(static_cast<std::size_t>(size), '\0');
  uLongf got = static_cast<uLongf>(size);
  const int rc = uncompress(reinterpret_cast<Bytef*>(out.data()), &got,
                            reinterpret_cast<const Bytef*>(z.data()), static_cast<uLong>(z.size()));
  if (rc != Z_OK || got != size)
    throw Error("the body does not decompress to its declared size", file, hint);
  return out;
}

}  // namespace mlgate::body
