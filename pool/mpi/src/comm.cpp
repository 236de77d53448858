#include "comm.hpp"

#include <unistd.h>

#include <climits>
#include <stdexcept>

namespace prun::mpi::detail {

World& world() noexcept {
  static World w;
  return w;
}

std::string rank_name(int rank) {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::string h = host;
  if (auto dot = h.find('.'); dot != std::string::npos) h.resize(dot);
  return "Rank-" + std::to_string(rank) + "@" + (h.empty() ? "unknown" : h);
}

void check(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int len = 0;
  MPI_Error_string(code, text, &len);
  throw std::runtime_error(std::string("prun: ") + call + " failed: " + std::string(text, static_cast<std::size_t>(len)));
}

void Sender::send(int dest, int tag, std::string bytes) {
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) throw std::length_error("prun: an MPI message over 2 GiB");
  Pending& p = pending_.emplace_back();
  p.bytes = std::move(bytes);
  bytes_ += p.bytes.size();
  check(MPI_Isend(p.bytes.data(), static_cast<int>(p.bytes.size()), MPI_BYTE, dest, tag, MPI_COMM_WORLD, &p.request),
        "MPI_Isend");
}

bool Sender::progress() {
  for (auto it = pending_.begin(); it != pending_.end();) {
    int done = 0;
    check(MPI_Test(&it->request, &done, MPI_STATUS_IGNORE), "MPI_Test");
    if (!done) break;  // later ones to the same rank are behind it anyway
    bytes_ -= it->bytes.size();
    if (spare_.size() < 8) spare_.push_back(std::move(it->bytes));
    it = pending_.erase(it);
  }
  return pending_.empty();
}

void Sender::wait_all() {
  for (Pending& p : pending_) check(MPI_Wait(&p.request, MPI_STATUS_IGNORE), "MPI_Wait");
  pending_.clear();
  bytes_ = 0;
}

std::string Sender::take_buffer() {
  if (spare_.empty()) return {};
  std::string b = std::move(spare_.back());
  spare_.pop_back();
  b.clear();
  return b;
}

bool receive(int source, int tag, std::string& into, bool wait) {
  MPI_Status status;
  if (wait) {
    check(MPI_Probe(source, tag, MPI_COMM_WORLD, &status), "MPI_Probe");
  } else {
    int flag = 0;
    check(MPI_Iprobe(source, tag, MPI_COMM_WORLD, &flag, &status), "MPI_Iprobe");
    if (!flag) return false;
  }
  int count = 0;
  check(MPI_Get_count(&status, MPI_BYTE, &count), "MPI_Get_count");
  into.resize(static_cast<std::size_t>(count));
  check(MPI_Recv(into.data(), count, MPI_BYTE, status.MPI_SOURCE, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "MPI_Recv");
  return true;
}

}  // namespace prun::mpi::detail
