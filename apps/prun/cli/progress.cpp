#include "progress.hpp"

#include "output.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <system_error>

namespace prun::cli {

namespace {
// Progress is a courtesy: a stderr that cannot be written to does not stop the run.
void draw_quietly(int fd, std::string_view text) {
  try {
    write_fully(fd, text);
  } catch (const std::system_error&) {
  }
}
}  // namespace

ProgressDisplay::ProgressDisplay(Settings settings) : settings_(settings), start_(std::chrono::steady_clock::now()) {
  if (settings_.progress) {
    draw_quietly(settings_.fd, fmt::format("\nComputers / CPU cores / Max jobs to run\n1:local / {} / {}\n\n"
                                          "Computer:jobs running/jobs completed/%of started jobs/Average seconds to complete\n",
                                          settings_.cpus, settings_.n_jobs));
  }
}

std::string ProgressDisplay::line() const {
  const double avg = completed_ ? runtime_sum_ / double(completed_) : 0.0;
  const std::string host = fmt::format("local:{}/{}/100%/{:.1f}s", running_, completed_, avg);
  const std::size_t left = settings_.total > completed_ ? settings_.total - completed_ : 0;
  // Time left: the elapsed time per finished job, for the jobs left, spread over the slots.
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double eta = completed_ ? elapsed / double(completed_) * double(left) : 0.0;
  if (settings_.bar) {
    const int pct = settings_.total ? static_cast<int>(100 * completed_ / settings_.total) : 0;
    return fmt::format("{}% {}:{}={:.0f}s {}", pct, completed_, left, eta, last_tag_);
  }
  if (settings_.eta) return fmt::format("ETA: {:.0f}s Left: {} AVG: {:.2f}s  {}", eta, left, avg, host);
  return host;
}

void ProgressDisplay::draw(bool force) {
  auto now = std::chrono::steady_clock::now();
  if (!force && drawn_ && now - last_draw_ < settings_.refresh) return;
  last_draw_ = now;
  drawn_ = true;
  draw_quietly(settings_.fd, "\r" + line() + " ");
}

void ProgressDisplay::started() {
  ++running_;
  draw(false);
}

void ProgressDisplay::retrying() {
  if (running_) --running_;
}

void ProgressDisplay::finished(double runtime_s, std::string_view tag) {
  if (running_) --running_;
  ++completed_;
  runtime_sum_ += runtime_s;
  last_tag_.assign(tag);
  draw(false);
}

void ProgressDisplay::done() {
  draw(true);
  draw_quietly(settings_.fd, "\n");
}

}  // namespace prun::cli
