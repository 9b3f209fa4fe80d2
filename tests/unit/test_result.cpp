#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fcntl.h>

#include "mlgate/base/error.hpp"
#include "mlgate/base/io.hpp"
#include "mlgate/base/result.hpp"
#include "mlgate/data/model_command.hpp"

using namespace mlgate;

TEST(Result, StatusAggregatesChecks) {
  ResultDoc d;
  d.tool = "mlgate-eval";
  EXPECT_EQ(d.status(), Status::kPass);
  Check c;
  c.id = "a";
  c.status = Status::kWarn;
  d.checks.push_back(c);
  EXPECT_EQ(d.status(), Status::kPass);
  c.id = "b";
  c.status = Status::kFail;
  d.checks.push_back(c);
  EXPECT_EQ(d.status(), Status::kFail);
  c.id = "c";
  c.status = Status::kError;
  d.checks.push_back(c);
  EXPECT_EQ(d.status(), Status::kError);
  auto j = d.to_json();
  EXPECT_EQ(j["summary"]["checks"], 3);
  EXPECT_EQ(j["summary"]["warned"], 1);
  EXPECT_EQ(exit_code_for(d.status()), 2);
}

TEST(Result, RoundTripsAndRejectsOtherSchemas) {
  ResultDoc d;
  d.tool = "mlgate-compare";
  Check c;
  c.id = "roc_auc.regression";
  c.status = Status::kFail;
  c.ci = std::array<double, 2>{-0.016, -0.006};
  c.slice = slice_json({{"region", std::string("eu")}});
  c.extra["column"] = "income";
  d.checks.push_back(c);
  auto j = nlohmann::json::parse(d.to_json().dump());
  ResultDoc back = ResultDoc::from_json(j, "r.json");
  ASSERT_EQ(back.checks.size(), 1u);
  EXPECT_EQ((*back.checks[0].ci)[1], -0.006);
  EXPECT_EQ(back.checks[0].extra["column"], "income");
  EXPECT_EQ(slice_label(back.checks[0].slice), "[region=eu]");
  j["schema"] = "mlgate.result/v2";
  EXPECT_THROW(ResultDoc::from_json(j, "r.json"), Error);
  // A hand-edited "pass" over a failing check stays failing.
  j["schema"] = "mlgate.result/v1";
  j["status"] = "pass";
  EXPECT_EQ(ResultDoc::from_json(j, "r.json").status(), Status::kFail);
}

TEST(ModelCommand, SplitsLikeAShell) {
  EXPECT_EQ(split_command_line("python3 score.py --batch 512"),
            (std::vector<std::string>{"python3", "score.py", "--batch", "512"}));
  EXPECT_EQ(split_command_line("a 'b c' \"d \\\"e\\\"\" f\\ g ''"),
            (std::vector<std::string>{"a", "b c", "d \"e\"", "f g", ""}));
  EXPECT_EQ(split_command_line("echo $HOME; rm -rf /"),
            (std::vector<std::string>{"echo", "$HOME;", "rm", "-rf", "/"}));
  EXPECT_THROW(split_command_line("a 'b"), Error);
}

TEST(ModelCommand, RunsWithoutAShellAndReportsFailures) {
  ModelCommand cmd;
  cmd.command = "cat";
  std::string out = run_model_command(cmd, [](const auto& write) { write("1\n2\n"); });
  EXPECT_EQ(out, "1\n2\n");
  cmd.command = "sh -c 'echo boom >&2; exit 3'";
  try {
    run_model_command(cmd, [](const auto&) {});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("exited with status 3"), std::string::npos);
    EXPECT_NE(e.message().find("boom"), std::string::npos);
  }
  cmd.command = "sleep 30";
  cmd.timeout_s = 0.5;
  try {
    run_model_command(cmd, [](const auto&) {});
    FAIL() << "expected a timeout";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("timeout"), std::string::npos);
  }
  cmd.command = "no-such-program-mlgate";
  EXPECT_THROW(run_model_command(cmd, [](const auto&) {}), Error);
}

TEST(Io, AtomicWritesNeverReplaceDevicesOrPipes) {
  // A FIFO stands in for /dev/null: a rename would replace it with a regular file. Held open
  // read-write and non-blocking, the write lands in the pipe and nothing can block.
  std::string fifo = ::testing::TempDir() + "mlgate_fifo";
  ::unlink(fifo.c_str());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  int fd = ::open(fifo.c_str(), O_RDWR | O_NONBLOCK);
  ASSERT_GE(fd, 0);
  write_file_atomic(fifo, "{}\n");
  char buf[16] = {};
  ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  struct stat st {};
  ASSERT_EQ(::stat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode)) << "the pipe was replaced by a file";
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0), "{}\n");
  ::unlink(fifo.c_str());
  std::string path = ::testing::TempDir() + "atomic.json";
  write_file_atomic(path, "one\n");
  write_file_atomic(path, "two\n");
  EXPECT_EQ(read_file(path), "two\n");
}
