// prun::mpi on rank 0: init and finalize, and Backend::mpi as a remote backend of prun::pool
// (run/remote.hpp): a run's links are MpiLinks to the worker ranks; one run at a time.
#include <prun/mpi.hpp>

#include "comm.hpp"
#include "mpi_link.hpp"
#include "rank_worker.hpp"

#include "../../src/core/prefix.hpp"
#include "../../src/run/remote.hpp"
#include "../../src/scope/parent_streams.hpp"
#include "../../src/scope/task_scope.hpp"

#include <prun/pool/pool.hpp>
#include <prun/pool/registry.hpp>

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <stdexcept>

namespace prun::mpi {

namespace detail {

namespace {

template <typename Fn, typename Function>
std::string registered_name(const Function& fn, const char* what) {
  if (!fn) return {};
  const Fn* target = fn.template target<Fn>();
  const pool::RegisteredFunction* f = target ? pool::find_function(reinterpret_cast<const void*>(*target)) : nullptr;
  if (!f)
    throw std::invalid_argument(std::string("prun: the ") + what +
                                " must be a registered function (PRUN_REGISTER_TASK) to run on an MPI rank");
  return f->name;
}

// The ranks serve one run at a time: a run from another thread waits for the one going on; a
// second run from the thread that holds the ranks (a run submitted and not yet consumed) would
// wait for itself, and is refused instead.
class RanksLock {
 public:
  void lock() {
    std::unique_lock lock(mutex_);
    if (held_ && owner_ == std::this_thread::get_id())
      throw std::logic_error(
          "prun: the MPI ranks are busy with a run this thread started and has not finished (runs on Backend::mpi "
          "take turns): consume or destroy it first");
    free_.wait(lock, [&] { return !held_; });
    held_ = true;
    owner_ = std::this_thread::get_id();
  }
  void unlock() {
    {
      std::lock_guard lock(mutex_);
      held_ = false;
    }
    free_.notify_one();
  }

 private:
  std::mutex mutex_;
  std::condition_variable free_;
  bool held_ = false;
  std::thread::id owner_;
};

RanksLock& run_lock() {
  static RanksLock l;
  return l;
}

Sender& rank0_sender() {
  static Sender s;
  return s;
}

class MpiRun final : public pool::detail::RemoteRun, public pool::core::WorkerSource {
 public:
  MpiRun(std::string run_frame) : lock_(run_lock()), run_frame_(std::move(run_frame)) {}

  ~MpiRun() override {
    // The ranks end what they were given before the next run starts (a task cannot be
    // stopped: this waits for the one a rank runs); their messages of this run are dropped.
    for (auto& l : links_)
      if (!l->exited()) l->quiesce();
    rank0_sender().wait_all();
  }

  MpiLink& add(int slot) {
    links_.push_back(std::make_unique<MpiLink>(slot, slot + 1, rank0_sender(), run_frame_));
    return *links_.back();
  }

  // A stopped link's rank serves the slot again once it ended its batches.
  pool::core::Link& replace(int slot) override { return add(slot); }

 private:
  std::unique_lock<RanksLock> lock_;
  std::string run_frame_;
  std::vector<std::unique_ptr<MpiLink>> links_;  // every link of the run (the driver may hold old ones)
};

class MpiBackend final : public pool::detail::RemoteBackend {
 public:
  int resolve_n_jobs(int n_jobs) const override {
    const World& w = world();
    if (w.finalised) throw std::logic_error("prun: Backend::mpi after prun::mpi::finalize()");
    const int ranks = w.size - 1;
    if (ranks < 1)
      throw std::invalid_argument("prun: Backend::mpi has no worker rank: start the program with mpirun -np K, K >= 2");
    if (n_jobs == 0) throw std::invalid_argument("prun: n_jobs = 0 has no meaning");
    const int n = n_jobs < 0 ? ranks + 1 + n_jobs : n_jobs;  // -1: every worker rank, -2: all but one
    if (n < 1 || n > ranks)
      throw std::invalid_argument("prun: n_jobs = " + std::to_string(n_jobs) + " on Backend::mpi, but the job has " +
                                  std::to_string(ranks) + " worker rank" + (ranks == 1 ? "" : "s") +
                                  " (mpirun -np " + std::to_string(w.size) + ")");
    return n;
  }

  std::vector<int> pids() const override {
    std::vector<int> out;
    const World& w = world();
    for (std::size_t r = 1; r < w.peers.size(); ++r) out.push_back(w.peers[r].pid);
    return out;
  }

  std::unique_ptr<pool::detail::PreparedRun> prepare(const pool::Options& options, const pool::TaskTable& table,
                                                     std::size_t window, const pool::CancelToken& token) override {
    pool::core::check_prefix(options.prefix);
    const auto jobs = static_cast<std::size_t>(resolve_n_jobs(options.n_jobs));
    const int n = static_cast<int>(table.pull ? jobs : std::min(jobs, table.size));
    auto p = std::make_unique<pool::detail::PreparedRun>();
    // Everything that could refuse a task does so before a rank is told anything.
    if (!table.remote) throw std::invalid_argument("prun: these tasks cannot be sent by name to an MPI rank");
    p->remote.reserve(table.size);
    for (std::size_t i = 0; i < table.size; ++i) p->remote.push_back(table.remote(i));
    pool::protocol::RunConfig run;
    run.prefix = options.prefix;
    run.level = options.log_level.value_or(pool::scope::parent_root_level());
    run.capture = options.capture_output;
    run.configure_task = registered_name<void (*)(const pool::TaskContext&)>(options.configure_task, "configure_task hook");
    run.stop_on_error = options.on_error == pool::ErrorPolicy::fail_fast;
    std::string frame;
    run.encode(frame);
    auto mpi_run = std::make_unique<MpiRun>(std::move(frame));
    for (int k = 0; k < n; ++k) p->links.push_back(&mpi_run->add(k));
    p->source = mpi_run.get();
    p->remote_run = std::move(mpi_run);
    p->config.remote = &p->remote;
    if (table.pull)  // a task pulled lazily is put by name at once, as the driver will send it
      p->config.pull = [&table, remote = &p->remote] {
        if (!table.pull()) return false;
        remote->push_back(table.remote(remote->size()));
        return true;
      };
    p->config.capture = options.capture_output;
    p->config.window = window;
    p->config.backend = "mpi";
    p->config.cancel = token;
    pool::scope::flush_standard_streams();
    return p;
  }
};

MpiBackend g_backend;

struct Announce {
  int pid;
  char name[120];
};

}  // namespace

}  // namespace detail

void init(int& argc, char**& argv) {
  pool::init(argc, argv);  // a spawned worker of this program becomes that, and never returns
  detail::World& w = detail::world();
  if (w.initialised) return;
  int already = 0;
  MPI_Initialized(&already);
  int provided = MPI_THREAD_SINGLE;
  if (already) MPI_Query_thread(&provided);
  else detail::check(MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided), "MPI_Init_thread");
  MPI_Comm_rank(MPI_COMM_WORLD, &w.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &w.size);
  w.initialised = true;
  if (provided < MPI_THREAD_SERIALIZED) {
    // prun calls MPI from a thread that may not be the main one (a rank's pump, a submitted
    // run's driver), never from two at once.
    if (w.rank == 0)
      std::fprintf(stderr, "prun: this MPI library gives thread level %d; prun needs MPI_THREAD_SERIALIZED\n", provided);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  // Every rank says who it is, once: rank 0 names them in records and errors.
  detail::Announce me{};
  me.pid = static_cast<int>(::getpid());
  const std::string name = detail::rank_name(w.rank);
  std::strncpy(me.name, name.c_str(), sizeof me.name - 1);
  std::vector<detail::Announce> all(w.rank == 0 ? static_cast<std::size_t>(w.size) : 0);
  detail::check(MPI_Gather(&me, sizeof me, MPI_BYTE, all.data(), sizeof me, MPI_BYTE, 0, MPI_COMM_WORLD), "MPI_Gather");
  if (w.rank != 0) detail::serve_rank();  // never returns
  for (const auto& a : all) w.peers.push_back({a.pid, a.name});
  pool::detail::register_remote_backend(pool::Backend::mpi, &detail::g_backend);
  std::atexit([] { finalize(); });
}

void finalize() {
  detail::World& w = detail::world();
  if (!w.initialised || w.finalised || w.rank != 0) return;
  w.finalised = true;
  std::lock_guard lock(detail::run_lock());  // after a run in another thread, if any
  std::string stop;
  pool::protocol::Writer(stop).empty(pool::protocol::Kind::stop);
  for (int r = 1; r < w.size; ++r) detail::rank0_sender().send(r, detail::kTagCommands, stop);
  detail::rank0_sender().wait_all();
  MPI_Finalize();
}

int rank() noexcept { return detail::world().rank; }
int size() noexcept { return detail::world().size; }

std::vector<int> worker_pids() { return detail::g_backend.pids(); }

}  // namespace prun::mpi
