#include "results.hpp"

#include "output.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

namespace prun::cli {

namespace {

int open_for_writing(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "cannot write to '" + path + "'");
  return fd;
}

}  // namespace

ResultsWriter::~ResultsWriter() {
  for (auto& [index, files] : open_) {
    ::close(files.out);
    ::close(files.err);
  }
}

bool ResultsWriter::exists(const Job& job) const {
  struct stat st {};
  return ::stat(result_paths(results_, job).seq.c_str(), &st) == 0;
}

void ResultsWriter::start(std::size_t index, const Job& job) {
  ResultPaths paths = result_paths(results_, job);
  std::error_code ec;
  std::filesystem::create_directories(paths.dir, ec);
  if (ec) throw std::system_error(ec, "cannot make the directory '" + paths.dir + "'");
  int seq = open_for_writing(paths.seq);
  const std::string text = std::to_string(job.seq);
  bool ok = write_fully(seq, text);
  ::close(seq);
  if (!ok) throw std::system_error(EPIPE, std::generic_category(), "cannot write to '" + paths.seq + "'");
  Files& files = open_[index];
  if (files.out >= 0) ::close(files.out);
  if (files.err >= 0) ::close(files.err);
  files.out = open_for_writing(paths.out);
  files.err = open_for_writing(paths.err);
}

void ResultsWriter::output(std::size_t index, int stream, std::string_view bytes) {
  auto it = open_.find(index);
  if (it == open_.end()) return;
  write_fully(stream == 2 ? it->second.err : it->second.out, bytes);
}

void ResultsWriter::done(std::size_t index, bool final) {
  auto it = open_.find(index);
  if (it == open_.end()) return;
  if (!final) {
    (void)::ftruncate(it->second.out, 0);
    (void)::ftruncate(it->second.err, 0);
    ::lseek(it->second.out, 0, SEEK_SET);
    ::lseek(it->second.err, 0, SEEK_SET);
    return;
  }
  ::close(it->second.out);
  ::close(it->second.err);
  open_.erase(it);
}

}  // namespace prun::cli
