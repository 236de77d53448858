#pragma once
// The link to a worker rank, on rank 0. send() is an MPI message of the driver's frames; the
// rank's frames come back as messages, looked for (MPI_Iprobe) from the driver's event loop:
// at once again after a message came, else after a pause that doubles from 20 µs up to 100 µs
// within 5 ms of the last message, up to 1 ms after that. MPI has no descriptor to wait on, so this polling is the price; it
// keeps every MPI call on the thread that steps the driver.
//
// A rank cannot be killed (that ends the whole MPI job), so signal() asks it to start no more
// tasks; the task it runs goes on to its end, its records and output still arrive, its result
// is dropped, and once the rank has ended every batch it was sent the link reports the
// "worker" gone, as a killed local worker would be. The rank itself serves the next link.

#include <prun/logging/record.hpp>

#include "../../src/core/link.hpp"
#include "comm.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace prun::mpi::detail {

class MpiLink final : public pool::core::Link {
 public:
  /// The link of driver slot `slot` to `rank`; sends the run's frames (`run_frame`) at once.
  MpiLink(int slot, int rank, Sender& sender, std::string_view run_frame);
  ~MpiLink() override;

  int pid() const noexcept override;
  std::string name() const override;
  void attach(boost::asio::io_context& ctx, pool::core::LinkEvents& events) override;
  void detach() noexcept override;
  bool send(std::string_view frames) noexcept override;
  void set_stop_before(std::size_t index) noexcept override;
  std::optional<pool::core::Running> running() const noexcept override;
  void signal(int signal) noexcept override;
  bool exited() const noexcept override { return gone_; }

  int rank() const noexcept { return rank_; }
  /// After the run: tells the rank to start nothing more and takes its messages (dropping
  /// them) until it has ended every batch it was sent. Blocks while a task runs there.
  void quiesce();

 private:
  struct Asio;
  void poll();
  void schedule(bool busy);
  void on_message();
  void on_frame(const pool::protocol::Frame& f);
  void leave();

  int rank_;
  Sender& sender_;
  std::unique_ptr<Asio> asio_;
  pool::core::LinkEvents* events_ = nullptr;
  std::uint64_t generation_ = 0;  // bumped by attach/detach: stale handlers return at once
  std::size_t outstanding_ = 0;   // batches sent and not yet ended by the rank
  std::optional<pool::core::Running> running_;
  int signalled_ = 0;             // the signal asked for (0: none)
  bool gone_ = false;
  bool exit_posted_ = false;
  std::string fatal_;
  std::string message_;
  pool::protocol::InternCache cache_;
  logging::Record scratch_;
};

}  // namespace prun::mpi::detail
