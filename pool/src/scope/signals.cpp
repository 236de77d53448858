#include "signals.hpp"

#include <prun/logging/handler.hpp>

#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>

namespace prun::pool::scope {

namespace {

constexpr int kSignals[] = {SIGINT, SIGTERM};
constexpr std::size_t kSlots = 64;

struct Registered {
  std::atomic<int> fd{-1};
  std::atomic<bool> immediate{false};
  std::atomic<int> flush_fd{-1};
};
std::array<Registered, kSlots> g_slots;
std::atomic<int> g_pending{0};
std::mutex g_mutex;            // install/uninstall
int g_scopes = 0;              // guarded by g_mutex
bool g_installed[2] = {false, false};
struct sigaction g_old[2];

void notify(int fd) noexcept {
  const std::uint64_t one = 1;
  (void)!::write(fd, &one, sizeof one);
}

void on_signal(int sig) {
  int expected = 0;
  g_pending.compare_exchange_strong(expected, sig);
  for (Registered& r : g_slots) {
    const int fd = r.fd.load(std::memory_order_acquire);
    if (fd < 0) continue;
    if (r.immediate.load(std::memory_order_acquire)) {
      // A sequential run's task cannot be stopped: its reader thread writes out what was
      // printed, then raises the signal again (or we do, when nothing is captured).
      const int flush = r.flush_fd.load(std::memory_order_acquire);
      if (flush >= 0) {
        notify(flush);
        continue;
      }
      struct sigaction dfl{};
      dfl.sa_handler = SIG_DFL;
      ::sigaction(sig, &dfl, nullptr);
      ::raise(sig);
      return;
    }
    notify(fd);
  }
}

}  // namespace

SignalScope::SignalScope(bool enabled, int cancel_fd, bool immediate, int flush_fd) {
  if (!enabled) return;
  std::lock_guard lock(g_mutex);
  for (std::size_t k = 0; k < kSlots; ++k) {
    int expected = -1;
    if (g_slots[k].fd.load() == -1) {
      g_slots[k].immediate.store(immediate);
      g_slots[k].flush_fd.store(flush_fd);
      if (g_slots[k].fd.compare_exchange_strong(expected, cancel_fd >= 0 ? cancel_fd : 0x7fffffff)) {
        slot_ = static_cast<int>(k);
        break;
      }
    }
  }
  if (slot_ < 0) return;  // more than 64 runs at once: the later ones leave signals alone
  if (g_scopes++ == 0) {
    g_pending.store(0);
    for (int k = 0; k < 2; ++k) {
      struct sigaction current{};
      ::sigaction(kSignals[k], nullptr, &current);
      g_installed[k] = current.sa_handler == SIG_DFL && !(current.sa_flags & SA_SIGINFO);
      if (!g_installed[k]) continue;  // the program handles it: its business
      struct sigaction sa{};
      sa.sa_handler = on_signal;
      sigfillset(&sa.sa_mask);
      sa.sa_flags = SA_RESTART;
      ::sigaction(kSignals[k], &sa, &g_old[k]);
    }
  }
}

SignalScope::~SignalScope() {
  if (slot_ < 0) return;
  int raise_now = 0;
  {
    std::lock_guard lock(g_mutex);
    g_slots[static_cast<std::size_t>(slot_)].fd.store(-1, std::memory_order_release);
    if (--g_scopes == 0) {
      for (int k = 0; k < 2; ++k)
        if (g_installed[k]) {
          ::sigaction(kSignals[k], &g_old[k], nullptr);
          g_installed[k] = false;
        }
      raise_now = g_pending.exchange(0);
    }
  }
  if (raise_now) raise_default(raise_now);
}

int SignalScope::pending() noexcept { return g_pending.load(std::memory_order_acquire); }

namespace {
struct ExitHook {
  void (*fn)(void*) noexcept = nullptr;
  void* context = nullptr;
};
std::mutex g_hooks_mutex;
std::array<ExitHook, 16> g_hooks;  // guarded by g_hooks_mutex
}  // namespace

int SignalScope::add_exit_hook(void (*hook)(void*) noexcept, void* context) noexcept {
  std::lock_guard lock(g_hooks_mutex);
  for (std::size_t k = 0; k < g_hooks.size(); ++k)
    if (!g_hooks[k].fn) {
      g_hooks[k] = ExitHook{hook, context};
      return static_cast<int>(k);
    }
  return -1;
}

void SignalScope::remove_exit_hook(int id) noexcept {
  if (id < 0) return;
  std::lock_guard lock(g_hooks_mutex);
  g_hooks[static_cast<std::size_t>(id)] = ExitHook{};
}

void SignalScope::raise_default(int signal) noexcept {
  logging::flush_all_handlers();
  {
    std::lock_guard lock(g_hooks_mutex);
    for (const ExitHook& h : g_hooks)
      if (h.fn) h.fn(h.context);
  }
  struct sigaction dfl{};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(signal, &dfl, nullptr);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signal);
  ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  ::raise(signal);
  ::_exit(128 + signal);  // if it was blocked or ignored after all
}

}  // namespace prun::pool::scope
