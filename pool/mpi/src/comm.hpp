#pragma once
// What prun::mpi knows about the job and how it moves bytes: every message is a string of
// protocol frames (core/protocol.hpp), commands from rank 0 on one tag, a worker's events on
// another. Sends are non-blocking on both sides (MPI_Isend, buffers kept until MPI_Test says
// they went), so two ranks sending large messages to each other can never wait for each other.
//
// Thread use: prun calls MPI from one thread at a time (MPI_THREAD_SERIALIZED): on rank 0 the
// thread that steps a run's driver (runs on MPI take turns), on a worker rank its pump thread.

#define OMPI_SKIP_MPICXX 1
#include <mpi.h>

#include <cstddef>
#include <list>
#include <string>
#include <vector>

namespace prun::mpi::detail {

inline constexpr int kTagCommands = 7301;  // rank 0 -> worker rank
inline constexpr int kTagEvents = 7302;    // worker rank -> rank 0

struct Peer {
  int pid = 0;
  std::string name;  ///< processName: "Rank-3@node7"
};

struct World {
  bool initialised = false;
  bool finalised = false;
  int rank = 0;
  int size = 1;
  std::vector<Peer> peers;  ///< by rank (filled on rank 0)
};

World& world() noexcept;

/// "Rank-<rank>@<short host name>".
std::string rank_name(int rank);

/// Non-blocking sends whose buffers are kept until they complete.
class Sender {
 public:
  void send(int dest, int tag, std::string bytes);
  /// Frees what was sent; true if nothing is left in flight.
  bool progress();
  /// Bytes still in flight.
  std::size_t in_flight() const noexcept { return bytes_; }
  /// Waits until everything went.
  void wait_all();
  /// An empty buffer, from those that were sent (their memory is reused: no page faults).
  std::string take_buffer();

 private:
  struct Pending {
    std::string bytes;
    MPI_Request request = MPI_REQUEST_NULL;
  };
  std::list<Pending> pending_;
  std::size_t bytes_ = 0;
  std::vector<std::string> spare_;
};

/// Receives one waiting message from `source` with `tag` into `into` (replacing its content);
/// false if none is waiting. `wait`: blocks until one comes.
bool receive(int source, int tag, std::string& into, bool wait = false);

/// Throws std::runtime_error naming the MPI call and the error's text when `code` is not
/// MPI_SUCCESS.
void check(int code, const char* call);

}  // namespace prun::mpi::detail
