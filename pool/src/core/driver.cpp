#include "driver.hpp"

#include "exit_codes.hpp"
#include "line_router.hpp"
#include "log_tail.hpp"
#include "prefix.hpp"

#include "../scope/parent_streams.hpp"

#include <prun/logging/handler.hpp>
#include <prun/logging/logger.hpp>
#include <prun/pool/errors.hpp>

#include <boost/asio/io_context.hpp>

#include <sys/wait.h>

#include <csignal>
#include <map>
#include <optional>

namespace prun::pool::core {

namespace asio = boost::asio;

namespace {
constexpr std::size_t kNobody = SIZE_MAX;  // output that belongs to no task
}

class Driver::Impl final : public LinkEvents {
 public:
  Impl(const Options& options, const TaskTable& table, std::vector<Link*> links, WorkerSource* source,
       DriverConfig config)
      : options_(options), table_(table), source_(source), config_(std::move(config)),
        scheduler_(table.size, static_cast<int>(links.size()),
                   Scheduler::Options{options.batch_size, config_.max_tasks_per_worker}) {
    for (Link* l : links) {
      add(*l);
      scheduler_.set_taken(l->slot(), l->tasks_sent());
    }
  }

  ~Impl() {
    for (auto& s : slots_)
      if (s.link) s.link->detach();
  }

  void start() {
    scope::RoutingGuard routing;
    for (auto& s : slots_) s.link->attach(ctx_, *this);
    for (auto& s : slots_) dispatch(s);
    check_done();
  }

  bool step() {
    if (done_) return false;
    scope::RoutingGuard routing;  // the parent's configuration stays put during this turn
    if (ctx_.run_one() == 0 && !done_) {
      // Nothing can happen any more: no live worker is left to report.
      if (!error_)
        error_ = std::make_exception_ptr(std::logic_error("prun: every worker is gone but tasks remain"));
      done_ = true;
    }
    return !done_;
  }

  void run() {
    while (step()) {
    }
    if (error_) std::rethrow_exception(error_);
    for (std::size_t i = 0; i < table_.size; ++i)
      if (!scheduler_.is_done(i)) throw std::logic_error("prun: task " + std::to_string(i) + " never reported a result");
  }

  bool finished() const noexcept { return done_; }
  std::exception_ptr error() const noexcept { return error_; }
  const std::vector<Link*>& links() const noexcept { return all_links_; }

 private:
  // What the driver keeps per slot: the link now serving it and its output routers.
  struct Slot {
    Link* link = nullptr;
    std::optional<LineRouter> out, err;
    LogTail tail;
    std::int64_t tail_task = -1;
    bool killed = false;     // by us: its exit is no crash
    bool stopping = false;   // told to leave, or recycling: give it nothing more
    std::string_view last_name;
    logging::Logger* last_logger = nullptr;
  };

  void add(Link& link) {
    const auto w = static_cast<std::size_t>(link.slot());
    if (slots_.size() <= w) slots_.resize(w + 1);
    Slot& s = slots_[w];
    s = Slot{};
    s.link = &link;
    all_links_.push_back(&link);
    LineRouter::PrefixOf prefix_of;
    if (config_.capture)
      prefix_of = [this](std::size_t task) {
        return task == kNobody ? std::string() : expand_prefix(options_.prefix, table_.tag(task), task);
      };
    s.out.emplace([](std::string_view b) { scope::write_parent_stream(1, b); }, prefix_of);
    s.err.emplace([](std::string_view b) { scope::write_parent_stream(2, b); }, prefix_of);
  }

  Slot& slot_of(Link& link) { return slots_[static_cast<std::size_t>(link.slot())]; }

  // ---- dispatch ------------------------------------------------------------------------------

  void dispatch(Slot& s) {
    if (s.stopping || s.link->exited()) return;
    while (auto b = scheduler_.next(s.link->slot())) send(s, *b);
  }

  void send(Slot& s, const Batch& b) {
    protocol::Batch msg;
    msg.begin = b.begin;
    msg.end = b.end;
    std::vector<std::string> tags;
    if (config_.remote) {
      tags.reserve(b.size());
      msg.named.reserve(b.size());
      for (std::size_t i = b.begin; i < b.end; ++i) {
        tags.push_back(table_.tag(i));
        const RemoteTask& t = (*config_.remote)[i];
        msg.named.push_back({tags.back(), t.name, t.args});
      }
    }
    frame_.clear();
    msg.encode(frame_);
    s.link->count_sent(b.size());
    s.link->send(frame_);  // a failure means the worker is gone: its exit says the rest
  }

  // ---- events --------------------------------------------------------------------------------

  void on_record(Link& link, logging::Record& r) override {
    Slot& s = slot_of(link);
    if (r.task_index != s.tail_task) {
      s.tail.clear();
      s.tail_task = r.task_index;
    }
    if (r.name.data() != s.last_name.data()) {
      s.last_name = r.name;
      s.last_logger = &logging::get_logger(r.name);
    }
    // As the cookbook's listener: the caller's handlers decide, its logger filters do not.
    scope::route_to_parent(*s.last_logger, r);
    s.tail.push_swap(r);  // no allocation per record once the tail is full
  }

  void on_output(Link& link, int stream, std::size_t task, std::string_view bytes, bool last) override {
    Slot& s = slot_of(link);
    LineRouter& router = stream == 1 ? *s.out : *s.err;
    if (!bytes.empty()) router.text(task, bytes);
    if (last) router.end(task);
    router.flush();
  }

  void on_started(Link& link, const protocol::Started& st) override {
    scheduler_.started(link.slot(), static_cast<std::size_t>(st.index));
  }

  void on_finished(Link& link, const protocol::Finished& f) override {
    const auto index = static_cast<std::size_t>(f.index);
    if (index >= table_.size) throw protocol::ProtocolError("prun: a worker finished a task that does not exist");
    scheduler_.finished(link.slot(), index);
    if (f.ok) {
      table_.store(index, f.result);
      return;
    }
    Slot& s = slot_of(link);
    fail(index, std::make_exception_ptr(TaskError(index, table_.tag(index), link.pid(), link.name(),
                                                  std::string(f.error.type), std::string(f.error.message),
                                                  tail_of(s, index))));
  }

  void on_batch_done(Link& link) override {
    Slot& s = slot_of(link);
    scheduler_.batch_done(link.slot());
    dispatch(s);
    check_done();
  }

  void on_recycle(Link& link) override {
    Slot& s = slot_of(link);
    s.stopping = true;
    scheduler_.retire(link.slot());
  }

  void on_exit(Link& link, const WorkerExit& exit) override {
    Slot& s = slot_of(link);
    s.out->finish();
    s.err->finish();
    link.detach();  // it delivered everything it had; nothing of it may reach a successor's slot
    const auto culprit_fallback = scheduler_.lost(link.slot());
    if (s.killed) {
      check_done();
      return;
    }
    if (exit.expected) {  // recycled (or told to stop): a fresh worker takes the slot if work is left
      if (scheduler_.work_left()) replace(s);
      check_done();
      return;
    }
    const std::optional<std::size_t> culprit = exit.running ? exit.running : culprit_fallback;
    if (culprit && *culprit < scheduler_.stop_before()) {
      const std::size_t i = *culprit;
      if (!exit.fatal.empty()) {
        fail(i, std::make_exception_ptr(TaskError(i, table_.tag(i), link.pid(), link.name(), "worker failure",
                                                  exit.fatal, tail_of(s, i))));
      } else {
        const int sig = WIFSIGNALED(exit.status) ? WTERMSIG(exit.status) : 0;
        const int code = WIFEXITED(exit.status) ? WEXITSTATUS(exit.status) : 0;
        fail(i, std::make_exception_ptr(WorkerCrashed(i, table_.tag(i), link.pid(), link.name(), sig, code,
                                                      tail_of(s, i), std::string(exit_code_meaning(code)))));
      }
    } else if (scheduler_.work_left()) {
      // It died with nothing to do (killed from outside between batches): its slot gets a
      // fresh worker if work is left.
      replace(s);
    }
    check_done();
  }

  // ---- failures ------------------------------------------------------------------------------

  std::vector<std::string> tail_of(const Slot& s, std::size_t task) const {
    return s.tail_task == static_cast<std::int64_t>(task) ? s.tail.lines() : std::vector<std::string>{};
  }

  void fail(std::size_t index, std::exception_ptr error) {
    if (scheduler_.fail(index)) error_ = std::move(error);
    // No task from the limit on may start; workers already running one are stopped.
    const std::size_t limit = scheduler_.stop_before();
    for (Slot& s : slots_) {
      if (!s.link || s.link->exited()) continue;
      s.link->set_stop_before(limit);
      if (s.killed) continue;
      if (auto r = s.link->running(); r && r->index > index) {
        s.link->signal(SIGKILL);
        s.killed = true;
      }
    }
  }

  void replace(Slot& s) {
    if (!source_) return;
    const int w = s.link->slot();
    try {
      Link& fresh = source_->replace(w);
      scheduler_.renew(w);
      scheduler_.set_taken(w, fresh.tasks_sent());
      add(fresh);
      Slot& n = slots_[static_cast<std::size_t>(w)];
      fresh.attach(ctx_, *this);
      dispatch(n);
    } catch (...) {
      fail(scheduler_.stop_before() == SIZE_MAX ? first_unfinished() : scheduler_.stop_before(), std::current_exception());
    }
  }

  std::size_t first_unfinished() const {
    for (std::size_t i = 0; i < table_.size; ++i)
      if (!scheduler_.is_done(i)) return i;
    return table_.size;
  }

  void check_done() {
    if (done_ || !scheduler_.settled()) return;
    // Workers we killed must be gone (their records delivered) before the run ends.
    for (const Slot& s : slots_)
      if (s.killed && !s.link->exited()) return;
    done_ = true;
  }

  const Options& options_;
  const TaskTable& table_;
  WorkerSource* source_;
  DriverConfig config_;
  Scheduler scheduler_;
  asio::io_context ctx_{1};
  std::vector<Slot> slots_;
  std::vector<Link*> all_links_;
  std::string frame_;
  std::exception_ptr error_;
  bool done_ = false;
};

Driver::Driver(const Options& options, const TaskTable& table, std::vector<Link*> links, WorkerSource* source,
               DriverConfig config)
    : impl_(std::make_unique<Impl>(options, table, std::move(links), source, std::move(config))) {}
Driver::~Driver() = default;
void Driver::start() { impl_->start(); }
bool Driver::step() { return impl_->step(); }
void Driver::run() { impl_->run(); }
bool Driver::finished() const noexcept { return impl_->finished(); }
std::exception_ptr Driver::error() const noexcept { return impl_->error(); }
const std::vector<Link*>& Driver::links() const noexcept { return impl_->links(); }

}  // namespace prun::pool::core
