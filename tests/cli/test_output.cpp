// The output sink: grouping, line buffering, ungrouped bytes, -k, tags; spilling to files.
#include <doctest/doctest.h>

#include "cli/output.hpp"
#include "test_support.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <string>

using namespace prun::cli;

namespace {

// A sink writing to two memory files.
struct Capture {
  int out = ::memfd_create("out", MFD_CLOEXEC);
  int err = ::memfd_create("err", MFD_CLOEXEC);
  ~Capture() {
    ::close(out);
    ::close(err);
  }
  static std::string read_all(int fd) {
    std::string text;
    char buf[65536];
    for (off_t at = 0;;) {
      ssize_t n = ::pread(fd, buf, sizeof buf, at);
      if (n <= 0) break;
      text.append(buf, static_cast<std::size_t>(n));
      at += n;
    }
    return text;
  }
  std::string out_text() const { return read_all(out); }
  std::string err_text() const { return read_all(err); }
  OutputSink::Settings settings(OutputMode mode, bool keep_order = false) const {
    return OutputSink::Settings{.mode = mode, .keep_order = keep_order, .out_fd = out, .err_fd = err};
  }
};

}  // namespace

TEST_CASE("--group: a job's output is printed whole when it ends, stdout and stderr apart") {
  Capture c;
  OutputSink sink(c.settings(OutputMode::group));
  sink.add_job(0, "");
  sink.add_job(1, "");
  sink.output(0, 1, "a1\n");
  sink.output(1, 1, "b1\n");
  sink.output(0, 2, "a-err\n");
  sink.output(0, 1, "a2\n");
  CHECK(c.out_text().empty());
  sink.job_done(1, true);
  CHECK(c.out_text() == "b1\n");
  sink.job_done(0, true);
  CHECK(c.out_text() == "b1\na1\na2\n");
  CHECK(c.err_text() == "a-err\n");
}

TEST_CASE("-k: in input order, whatever order the jobs end in") {
  Capture c;
  OutputSink sink(c.settings(OutputMode::group, true));
  for (std::size_t j = 0; j < 3; ++j) sink.add_job(j, "");
  sink.output(2, 1, "c\n");
  sink.output(1, 1, "b\n");
  sink.output(0, 1, "a\n");
  sink.job_done(2, true);
  sink.job_done(1, true);
  CHECK(c.out_text().empty());
  sink.job_done(0, true);
  CHECK(c.out_text() == "a\nb\nc\n");
}

TEST_CASE("--tag: every line starts with the tag, after a carriage return too; no newline is added") {
  Capture c;
  OutputSink sink(c.settings(OutputMode::group));
  sink.add_job(0, "a\t");
  sink.add_job(1, "t\t");
  sink.output(0, 1, "x\ny");
  sink.job_done(0, true);
  sink.output(1, 1, "a\rb\n");
  sink.job_done(1, true);
  CHECK(c.out_text() == "a\tx\na\tyt\ta\rt\tb\n");
}

TEST_CASE("--line-buffer: whole lines as they come, the unfinished one at the end") {
  Capture c;
  OutputSink sink(c.settings(OutputMode::line_buffer));
  sink.add_job(0, "A\t");
  sink.add_job(1, "B\t");
  sink.output(0, 1, "one\ntw");
  CHECK(c.out_text() == "A\tone\n");
  sink.output(1, 1, "x\n");
  CHECK(c.out_text() == "A\tone\nB\tx\n");
  sink.output(0, 1, "o\nthree");
  CHECK(c.out_text() == "A\tone\nB\tx\nA\ttwo\n");
  sink.job_done(0, true);
  CHECK(c.out_text() == "A\tone\nB\tx\nA\ttwo\nA\tthree");
}

TEST_CASE("--line-buffer -k: the first unfinished job is live, the others wait their turn") {
  Capture c;
  OutputSink sink(c.settings(OutputMode::line_buffer, true));
  sink.add_job(0, "");
  sink.add_job(1, "");
  sink.output(1, 1, "b1\n");
  sink.output(0, 1, "a1\n");
  CHECK(c.out_text() == "a1\n");
  sink.job_done(0, true);
  CHECK(c.out_text() == "a1\nb1\n");  // job 1 is live now
  sink.output(1, 1, "b2\n");
  CHECK(c.out_text() == "a1\nb1\nb2\n");
  sink.job_done(1, true);
}

TEST_CASE("--ungroup: bytes as they come, without tags") {
  Capture c;
  OutputSink sink(c.settings(OutputMode::ungroup));
  sink.add_job(0, "tag\t");
  sink.output(0, 1, "par");
  CHECK(c.out_text() == "par");
  sink.output(0, 1, "tial\n");
  sink.job_done(0, true);
  CHECK(c.out_text() == "partial\n");
}

TEST_CASE("an attempt that runs again: what it printed is dropped in --group mode") {
  Capture c;
  OutputSink sink(c.settings(OutputMode::group));
  sink.add_job(0, "");
  sink.output(0, 1, "first try\n");
  sink.job_done(0, false);
  sink.output(0, 1, "second try\n");
  sink.job_done(0, true);
  CHECK(c.out_text() == "second try\n");
}

TEST_CASE("flush_all prints what is held, in order (a stopped run)") {
  Capture c;
  OutputSink sink(c.settings(OutputMode::group, true));
  sink.add_job(0, "");
  sink.add_job(1, "");
  sink.output(1, 1, "done\n");
  sink.job_done(1, true);
  sink.output(0, 1, "partial");
  sink.flush_all();
  CHECK(c.out_text() == "partialdone\n");
}

TEST_CASE("held output past the memory budget goes to a temporary file and comes back whole") {
  Capture c;
  OutputSink::Settings settings = c.settings(OutputMode::group, true);
  settings.memory_budget = 1000;
  const std::set<int> fds_before = test::open_fds();
  OutputSink sink(settings);
  sink.add_job(0, "");
  sink.add_job(1, "T\t");
  std::string expected_1;
  for (int i = 0; i < 5000; ++i) {
    std::string line = "line " + std::to_string(i) + "\n";
    sink.output(1, 1, line);
    expected_1 += "T\t" + line;
  }
  CHECK(test::open_fds().size() == fds_before.size() + 1);  // the spool's temporary file
  sink.output(0, 1, "zero\n");
  sink.job_done(1, true);
  sink.job_done(0, true);
  CHECK(c.out_text() == "zero\n" + expected_1);
  CHECK(test::open_fds() == fds_before);
}
