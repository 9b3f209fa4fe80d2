// A model behind a service: the features file sent to an inference endpoint in batches (MLflow
// scoring server, the Open Inference Protocol "v2" of KServe/Seldon/Triton, TF Serving's REST
// API), its answers checked and put back in row order, each request timed.
//
// The data wing speaks the protocols; the bytes travel through an HttpChannel, an interface
// defined here and implemented in the platforms wing (libcurl), which installs its factory at
// start-up (run_main). Tests may install their own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "mlgate/data/table.hpp"

namespace mlgate {

enum class ServeProtocol { kMlflow, kV2, kTfServing };
// "mlflow", "v2", "tfserving"; throws Error (with did-you-mean) otherwise.
ServeProtocol parse_serve_protocol(const std::string& name);
const char* serve_protocol_name(ServeProtocol p);

struct ServedModel {
  std::string url;  // the server's base URL, e.g. http://127.0.0.1:5000
  ServeProtocol protocol = ServeProtocol::kMlflow;
  std::string name;          // --model-name (v2, tfserving)
  std::string version_path;  // --model-version-path (v2, tfserving): .../versions/V
  std::string output;        // --model-output: the output tensor (v2) or field (objects)
  bool v2_tensor = false;    // --v2-input tensor: one [batch, n_features] FP32 tensor
  std::string v2_input_name = "input";
  std::int64_t batch_size = 256;
  int concurrency = 4;
  double timeout_s = 60;        // each request
  double ready_timeout_s = 60;  // waiting for the health endpoint; 0: do not wait
  int retries = 5;              // per request, on connection errors, 429 and 5xx
  int warmup = 2;               // untimed requests before the timed run
  // --model-header values, already resolved (env:VAR read); every value is a secret: it is
  // never printed, and masked in any answer that is.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string cacert, cert, key;
};

// ---- the transport ------------------------------------------------------------------------

struct ChannelOptions {
  bool allow_http = false;  // the user named an http:// URL
  std::string cacert, cert, key;
};

struct HttpCall {
  std::string method = "GET", url, body;
  const std::vector<std::pair<std::string, std::string>>* headers = nullptr;
  double timeout_s = 60;
  std::size_t max_body = std::size_t{64} << 20;  // a longer answer is a failure
};

struct HttpAnswer {
  enum class Failure {
    kNone,
    kConnection,  // refused, reset, closed without an answer: worth retrying
    kTimeout,     // no full answer within the request's timeout
    kTls,         // certificate or handshake: never retried
    kTooLarge,    // the answer passed max_body
    kOther,
  };
  Failure failure = Failure::kNone;
  std::string failure_text;  // the transport's own words, for the message
  long status = 0;
  std::string body;
  std::string retry_after;  // the Retry-After header, as sent
};

// One connection's worth of HTTP: kept alive between calls; used by one thread at a time.
class HttpChannel {
 public:
  virtual ~HttpChannel() = default;
  virtual HttpAnswer send(const HttpCall& call) = 0;
};

using HttpChannelFactory = std::function<std::unique_ptr<HttpChannel>(const ChannelOptions&)>;
void install_http_channel_factory(HttpChannelFactory factory);

// ---- scoring --------------------------------------------------------------------------------

struct ServingStats {
  std::int64_t requests = 0;  // timed requests that answered (warm-up not counted)
  std::int64_t retries = 0;   // attempts repeated, warm-up included
  std::int64_t batch_size = 0, warmup = 0;
  int concurrency = 0;
  std::vector<double> latency_ms;  // one per timed request, in batch order
  // The timed run, first request out to last answer in; in an interleaved run (two models),
  // each model's own request time over the requests in flight.
  double seconds = 0;
  std::int64_t rows = 0;
  // p50, p90, p95, p99 (numpy's linear interpolation), max and mean of latency_ms.
  double latency(const std::string& which) const;
  double rows_per_second() const { return seconds > 0 ? static_cast<double>(rows) / seconds : 0; }
};

struct ServedOutput {
  std::size_t width = 1;       // values per row: 1, or k (class probabilities)
  std::vector<double> values;  // row-major, rows * width
  ServingStats stats;
};

// What features are sent: every column of the table but the ones dropped (the label), each
// as a JSON number (integers as integers), boolean or string, missing as null.
// Waits for readiness, scores every row, and returns the predictions in row order. Throws Error
// naming the batch's rows, the HTTP status and the start of the answer for every failure.
ServedOutput score_served(const ServedModel& model, const Table& features,
                          const std::vector<std::string>& drop);

// Two models on the same batches, interleaved: each batch goes to both, the order alternating
// from batch to batch (the candidate first on even batches), on the candidate's batch size and
// concurrency; latency_ms of both are aligned by batch, for paired comparisons.
std::pair<ServedOutput, ServedOutput> score_served_pair(const ServedModel& candidate,
                                                        const ServedModel& baseline,
                                                        const Table& features,
                                                        const std::vector<std::string>& drop);

// "https://host/path" with any user:password@ removed, for messages and documents.
std::string redact_url(const std::string& url);

// What --model-header 'Name: value' becomes; a value "env:VAR" is read from the environment
// (an unset variable is an error naming it, never its value).
std::pair<std::string, std::string> parse_model_header(const std::string& flag);

}  // namespace mlgate
