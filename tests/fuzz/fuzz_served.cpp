// Fuzzes what a model server answers: the body goes back to score_served through a fake channel,
// for every protocol (the first byte picks it, and whether objects are read by --model-output).
// Whatever the bytes, the result is predictions of the right count or an mlgate::Error.
#include <cmath>
#include <memory>

#include "fuzz_common.hpp"
#include "mlgate/data/served_model.hpp"

namespace {

std::string body;

class Echo : public mlgate::HttpChannel {
 public:
  mlgate::HttpAnswer send(const mlgate::HttpCall& c) override {
    mlgate::HttpAnswer a;
    a.status = 200;
    a.body = c.method == "GET" ? std::string("{}") : body;
    return a;
  }
};

mlgate::Table features() {
  mlgate::Table t;
  t.path = "f.csv";
  t.rows = 3;
  mlgate::Column x;
  x.name = "x";
  x.type = mlgate::ColumnType::kAuto;
  x.present = true;
  x.numbers = {1, 2.5, 3};
  t.columns.push_back(x);
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static const mlgate::Table t = features();
  static const bool installed = [] {
    mlgate::install_http_channel_factory(
        [](const mlgate::ChannelOptions&) { return std::make_unique<Echo>(); });
    return true;
  }();
  (void)installed;
  body.assign(reinterpret_cast<const char*>(data + 1), size - 1);
  mlgate::ServedModel m;
  m.url = "http://127.0.0.1:1";
  m.protocol = static_cast<mlgate::ServeProtocol>(data[0] % 3);
  m.name = "m";
  m.output = (data[0] & 4) ? "p" : "";
  m.warmup = 0;
  m.ready_timeout_s = 0;
  m.retries = 0;
  m.concurrency = 1;
  m.batch_size = 2;
  expect_only_mlgate_errors([&] {
    mlgate::ServedOutput out = mlgate::score_served(m, t, {});
    if (out.width == 0 || out.values.size() != 3 * out.width) std::abort();
    for (double v : out.values)
      if (!std::isfinite(v)) std::abort();
  });
  return 0;
}
