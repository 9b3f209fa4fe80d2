// data/served_model: request bodies per protocol, answers checked, order kept whatever the
// completion order, retries bounded, Retry-After honoured, secrets masked; through a fake
// HttpChannel (the real one, over libcurl, meets real servers in tests/cli/test_served.py).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "mlgate/base/error.hpp"
#include "mlgate/data/served_model.hpp"

using namespace mlgate;

namespace {

// Answers like a server would, scoring a row as the value of its column "x" / 100; what it
// was asked is kept for the tests.
struct Fake {
  std::mutex m;
  std::vector<std::string> bodies, urls;
  std::atomic<int> posts{0};
  std::function<HttpAnswer(const HttpCall&, int)> post;  // by default: a correct answer
};
Fake* fake = nullptr;

class FakeChannel : public HttpChannel {
 public:
  HttpAnswer send(const HttpCall& c) override {
    {
      std::lock_guard lk(fake->m);
      fake->urls.push_back(c.method + " " + c.url);
      if (c.method == "POST") fake->bodies.push_back(c.body);
    }
    HttpAnswer a;
    if (c.method == "GET") {
      a.status = 200;
      a.body = R"({"model_version_status":[{"state":"AVAILABLE"}]})";
      return a;
    }
    int nth = ++fake->posts;
    if (fake->post) return fake->post(c, nth);
    return correct(c);
  }

  static HttpAnswer correct(const HttpCall& c) {
    auto req = nlohmann::json::parse(c.body);
    HttpAnswer a;
    a.status = 200;
    nlohmann::json preds = nlohmann::json::array();
    if (req.contains("dataframe_split")) {
      for (const auto& row : req["dataframe_split"]["data"])
        preds.push_back(row[0].get<double>() / 100);
      a.body = nlohmann::json{{"predictions", preds}}.dump();
    } else if (req.contains("instances")) {
      for (const auto& row : req["instances"]) preds.push_back(row["x"].get<double>() / 100);
      a.body = nlohmann::json{{"predictions", preds}}.dump();
    } else {
      const auto& in = req["inputs"][0];
      for (const auto& v : in["data"]) preds.push_back(v.get<double>() / 100);
      a.body =
          nlohmann::json{
              {"id", req["id"]},
              {"outputs",
               {{{"name", "p"}, {"shape", {preds.size()}}, {"datatype", "FP64"}, {"data", preds}}}}}
              .dump();
    }
    // Answers come back out of order: some take longer.
    if (std::hash<std::string>{}(c.body) % 3 == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
    return a;
  }
};

Table features(int n) {
  Table t;
  t.path = "f.csv";
  t.rows = n;
  Column x;
  x.name = "x";
  x.type = ColumnType::kAuto;
  x.present = true;
  for (int i = 0; i < n; ++i) x.numbers.push_back(i);
  Column s;
  s.name = "s";
  s.type = ColumnType::kAuto;
  s.present = true;
  s.numbers.assign(static_cast<std::size_t>(n), std::nan(""));
  s.dictionary = {"a\"b", "TRUE"};
  for (int i = 0; i < n; ++i) s.codes.push_back(i % 2 == 0 ? 0 : kMissingCode);
  t.columns = {x, s};
  return t;
}

class ServedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    f_ = std::make_unique<Fake>();
    fake = f_.get();
    install_http_channel_factory(
        [](const ChannelOptions&) { return std::make_unique<FakeChannel>(); });
    m.url = "http://models.test:8080/";
    m.warmup = 0;
    m.ready_timeout_s = 0;
  }
  void TearDown() override {
    install_http_channel_factory(nullptr);
    fake = nullptr;
  }
  std::string error_of(const Table& t) {
    try {
      score_served(m, t, {});
    } catch (const Error& e) {
      return e.message();
    }
    return "no error";
  }
  std::unique_ptr<Fake> f_;
  ServedModel m;
};

}  // namespace

TEST_F(ServedTest, EveryProtocolKeepsRowOrder) {
  for (auto p : {ServeProtocol::kMlflow, ServeProtocol::kV2, ServeProtocol::kTfServing}) {
    m.protocol = p;
    m.name = "m";
    m.batch_size = 7;
    m.concurrency = 5;
    m.v2_tensor = false;
    fake->posts = 0;
    Table t = features(100);
    if (p == ServeProtocol::kV2) t.columns.pop_back();  // the first tensor carries x
    ServedOutput out = score_served(m, t, {});
    ASSERT_EQ(out.values.size(), 100u) << serve_protocol_name(p);
    for (int i = 0; i < 100; ++i) EXPECT_EQ(out.values[i], i / 100.0);
    EXPECT_EQ(out.stats.requests, 15);
    EXPECT_EQ(out.stats.latency_ms.size(), 15u);
    EXPECT_EQ(out.stats.concurrency, 5);
  }
}

TEST_F(ServedTest, RequestBodiesPerProtocol) {
  Table t = features(2);
  m.batch_size = 10;
  score_served(m, t, {});
  EXPECT_EQ(fake->urls.back(), "POST http://models.test:8080/invocations");
  EXPECT_EQ(fake->bodies.back(),
            R"({"dataframe_split":{"columns":["x","s"],"data":[[0,"a\"b"],[1,null]]}})");
  m.protocol = ServeProtocol::kTfServing;
  m.name = "churn";
  m.version_path = "2";
  score_served(m, t, {});
  EXPECT_EQ(fake->urls.back(), "POST http://models.test:8080/v1/models/churn/versions/2:predict");
  EXPECT_EQ(fake->bodies.back(), R"({"instances":[{"x":0,"s":"a\"b"},{"x":1,"s":null}]})");
  // v2: a tensor per column, datatypes from the values; a column dropped is not sent.
  m.protocol = ServeProtocol::kV2;
  m.version_path.clear();
  Table u = features(2);
  u.columns[1].dictionary = {"true", "False"};
  u.columns[1].codes = {0, 1};
  score_served(m, u, {});
  EXPECT_EQ(fake->urls.back(), "POST http://models.test:8080/v2/models/churn/infer");
  EXPECT_EQ(
      fake->bodies.back(),
      R"({"id":"mlgate-0","inputs":[{"name":"x","shape":[2],"datatype":"INT64","data":[0,1]},)"
      R"({"name":"s","shape":[2],"datatype":"BOOL","data":[true,false]}]})");
  u.columns[0].numbers = {0.5, 2};
  u.columns[0].integers_only = false;
  m.v2_tensor = true;
  m.v2_input_name = "dense";
  score_served(m, u, {"s"});
  EXPECT_EQ(
      fake->bodies.back(),
      R"({"id":"mlgate-0","inputs":[{"name":"dense","shape":[2,1],"datatype":"FP32","data":[0.5,2]}]})");
}

TEST_F(ServedTest, WrongAnswersAreErrorsNamingTheBatch) {
  Table t = features(5);
  m.batch_size = 2;
  m.concurrency = 1;
  auto answer = [&](std::string body, long status = 200) {
    fake->posts = 0;
    fake->post = [body, status](const HttpCall& c, int nth) {
      if (nth < 2) return FakeChannel::correct(c);
      HttpAnswer a;
      a.status = status;
      a.body = body;
      return a;
    };
    return error_of(t);
  };
  EXPECT_EQ(answer(R"({"predictions":[0.1]})"),
            "POST http://models.test:8080/invocations rows 3-4 (batch 2): HTTP 200: the answer "
            "has 1 predictions for 2 rows; the answer began: \"{\\\"predictions\\\":[0.1]}\" (see "
            "the server's answer)");
  EXPECT_NE(answer(R"({"predictions":[0.1, NaN]})").find("row 4 is not a finite number"),
            std::string::npos);
  EXPECT_NE(answer(R"({"predictions":[0.1, -Infinity]})").find("row 4 is not a finite number"),
            std::string::npos);
  EXPECT_NE(answer(R"({"predictions":[[0.1, 0.9], [0.2]]})").find("row 4 has 1 values"),
            std::string::npos);
  EXPECT_NE(answer(R"({"outputs":[]})").find("no \"predictions\""), std::string::npos);
  EXPECT_NE(answer("not json").find("the answer is not JSON"), std::string::npos);
  EXPECT_NE(answer(R"({"error":"boom"})", 400).find("HTTP 400: the server refused the batch"),
            std::string::npos);
  // Batches answering in different widths.
  fake->posts = 0;
  fake->post = [](const HttpCall& c, int nth) {
    HttpAnswer a = FakeChannel::correct(c);
    if (nth == 2) a.body = R"({"predictions":[[0.3,0.7],[0.4,0.6]]})";
    return a;
  };
  EXPECT_NE(error_of(t).find("answered 2 values per row here but 1 for the first batch"),
            std::string::npos);
}

TEST_F(ServedTest, V2IdShapeAndOutputChecked) {
  Table t = features(3);
  t.columns.pop_back();
  m.protocol = ServeProtocol::kV2;
  m.name = "m";
  auto answer = [&](const std::string& body) {
    fake->post = [body](const HttpCall&, int) {
      HttpAnswer a;
      a.status = 200;
      a.body = body;
      return a;
    };
    return error_of(t);
  };
  EXPECT_NE(answer(R"({"id":"x","outputs":[]})").find("the answer's id"), std::string::npos);
  EXPECT_NE(answer(R"({"outputs":[{"name":"p","shape":[3,1,1],"data":[1,2,3]}]})")
                .find("the output's shape is [3,1,1] for 3 rows"),
            std::string::npos);
  EXPECT_NE(answer(R"({"outputs":[{"name":"p","shape":[3],"data":[1,2]}]})")
                .find("the output has 2 values for shape [3]"),
            std::string::npos);
  EXPECT_NE(
      answer(R"({"outputs":[{"name":"p","shape":[3],"datatype":"BYTES","data":["a","b","c"]}]})")
          .find("BYTES"),
      std::string::npos);
  m.output = "q";
  EXPECT_NE(answer(R"({"outputs":[{"name":"p","shape":[3],"data":[1,2,3]}]})")
                .find("no output named \"q\" (outputs: \"p\")"),
            std::string::npos);
  // Nested data and a [n, k] shape are read row-major.
  m.output = "p";
  fake->post = [](const HttpCall&, int) {
    HttpAnswer a;
    a.status = 200;
    a.body = R"({"outputs":[{"name":"p","shape":[3,2],"data":[[0.1,0.9],[0.2,0.8],[0.3,0.7]]}]})";
    return a;
  };
  ServedOutput out = score_served(m, t, {});
  EXPECT_EQ(out.width, 2u);
  EXPECT_EQ(out.values, (std::vector<double>{0.1, 0.9, 0.2, 0.8, 0.3, 0.7}));
}

TEST_F(ServedTest, RetriesAreBoundedAndHonourRetryAfter) {
  Table t = features(4);
  m.batch_size = 2;
  m.concurrency = 1;
  m.retries = 2;
  fake->post = [](const HttpCall& c, int nth) {
    HttpAnswer a;
    if (nth == 1) {
      a.failure = HttpAnswer::Failure::kConnection;
      a.failure_text = "Connection reset";
      return a;
    }
    if (nth == 2) {
      a.status = 429;
      a.retry_after = "0";
      return a;
    }
    return FakeChannel::correct(c);
  };
  ServedOutput out = score_served(m, t, {});
  EXPECT_EQ(out.stats.retries, 2);
  EXPECT_EQ(out.stats.requests, 2);
  // Always 503: the first batch gives up after its retries.
  fake->posts = 0;
  fake->post = [](const HttpCall&, int) {
    HttpAnswer a;
    a.status = 503;
    a.body = "busy";
    return a;
  };
  EXPECT_NE(error_of(t).find("rows 1-2 (batch 1): HTTP 503: the server refused the batch (after 2 "
                             "retries)"),
            std::string::npos);
  EXPECT_EQ(fake->posts, 3);
  // A timeout and a 4xx are not retried.
  fake->posts = 0;
  fake->post = [](const HttpCall&, int) {
    HttpAnswer a;
    a.failure = HttpAnswer::Failure::kTimeout;
    return a;
  };
  EXPECT_NE(error_of(t).find("no answer within the request timeout"), std::string::npos);
  EXPECT_EQ(fake->posts, 1);
  // A server asking for more patience than a gate has.
  fake->post = [](const HttpCall&, int) {
    HttpAnswer a;
    a.status = 503;
    a.retry_after = "3600";
    return a;
  };
  EXPECT_NE(error_of(t).find("asks to retry after 3600 s"), std::string::npos);
}

TEST_F(ServedTest, SecretsAreMaskedBeforeTheAnswerIsCut) {
  Table t = features(2);
  m.headers = {{"Authorization", "Bearer abcdef123456"}};
  fake->post = [](const HttpCall& c, int) {
    HttpAnswer a;
    a.status = 401;
    std::string got;
    for (const auto& [k, v] : *c.headers)
      if (k == "Authorization") got = v;
    a.body = std::string(190, '.') + got;  // the secret straddles the 200-byte cut
    return a;
  };
  std::string e = error_of(t);
  EXPECT_EQ(e.find("abcdef"), std::string::npos) << e;
  EXPECT_NE(e.find("***"), std::string::npos) << e;
  EXPECT_EQ(redact_url("https://u:p@host:1/x?key=secret"), "https://host:1/x?...");
  EXPECT_EQ(redact_url("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
}

TEST(ServedFlags, HeadersProtocolAndLatency) {
  ::setenv("MLGATE_TEST_TOKEN", "tok", 1);
  EXPECT_EQ(parse_model_header("X-Api-Key: env:MLGATE_TEST_TOKEN"),
            (std::pair<std::string, std::string>{"X-Api-Key", "tok"}));
  EXPECT_EQ(parse_model_header("A:  b c "), (std::pair<std::string, std::string>{"A", "b c"}));
  EXPECT_THROW(parse_model_header("no colon"), Error);
  EXPECT_THROW(parse_model_header("Bad Name: x"), Error);
  EXPECT_THROW(parse_model_header("X: env:MLGATE_UNSET_VARIABLE_FOR_TEST"), Error);
  try {
    parse_serve_protocol("tfservng");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(e.hint().find("did you mean \"tfserving\""), std::string::npos);
  }
  ServingStats s;
  s.latency_ms = {5, 1, 4, 2, 3};
  EXPECT_EQ(s.latency("p50"), 3);
  EXPECT_DOUBLE_EQ(s.latency("p90"), 4.6);  // numpy.percentile([1..5], 90)
  EXPECT_EQ(s.latency("max"), 5);
  EXPECT_EQ(s.latency("mean"), 3);
  EXPECT_TRUE(std::isnan(ServingStats{}.latency("p95")));
}

TEST_F(ServedTest, PairsAreInterleavedOnTheSameBatches) {
  Table t = features(5);
  m.batch_size = 2;
  m.concurrency = 1;
  ServedModel other = m;
  other.url = "http://other.test";
  auto [a, b] = score_served_pair(m, other, t, {});
  EXPECT_EQ(fake->urls,
            (std::vector<std::string>{
                "POST http://models.test:8080/invocations", "POST http://other.test/invocations",
                "POST http://other.test/invocations", "POST http://models.test:8080/invocations",
                "POST http://models.test:8080/invocations", "POST http://other.test/invocations"}));
  EXPECT_EQ(fake->bodies[0], fake->bodies[1]);  // the same batch, side by side
  EXPECT_EQ(a.values, b.values);
  EXPECT_EQ(a.stats.latency_ms.size(), 3u);
  EXPECT_EQ(b.stats.latency_ms.size(), 3u);
  EXPECT_EQ(a.stats.requests, 3);
}
