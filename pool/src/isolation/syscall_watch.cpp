#include "syscall_watch.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#endif
#ifndef PR_SYS_DISPATCH_OFF
#define PR_SYS_DISPATCH_OFF 0
#define PR_SYS_DISPATCH_ON 1
#endif
#ifndef SYSCALL_DISPATCH_FILTER_ALLOW
#define SYSCALL_DISPATCH_FILTER_ALLOW 0
#define SYSCALL_DISPATCH_FILTER_BLOCK 1
#endif
#ifndef SYS_USER_DISPATCH
#define SYS_USER_DISPATCH 2
#endif

// ThreadSanitizer defers the delivery of signals it does not consider synchronous, so the
// handler would not see (or fix) the trapped call in time: no watch under it.
#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__)
#define PRUN_SYSCALL_DISPATCH 1
#else
#define PRUN_SYSCALL_DISPATCH 0
#endif

#if defined(__x86_64__)
// The only code syscall user dispatch always lets through: prun's own calls during a task.
extern "C" long prun_quiet_syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6);
extern "C" char prun_quiet_syscall_end[];
asm(R"(
  .pushsection .text.prun_quiet,"ax",@progbits
  .globl prun_quiet_syscall6
  .hidden prun_quiet_syscall6
  .type prun_quiet_syscall6,@function
prun_quiet_syscall6:
  mov %rdi, %rax
  mov %rsi, %rdi
  mov %rdx, %rsi
  mov %rcx, %rdx
  mov %r8, %r10
  mov %r9, %r8
  mov 8(%rsp), %r9
  syscall
  ret
  .size prun_quiet_syscall6, .-prun_quiet_syscall6
  .globl prun_quiet_syscall_end
  .hidden prun_quiet_syscall_end
prun_quiet_syscall_end:
  .popsection
)");
#endif

namespace prun::pool::isolation {

namespace {
// The selector the kernel reads at every system call of a watched thread.
volatile char g_selector = SYSCALL_DISPATCH_FILTER_ALLOW;
std::atomic<bool> g_noticed{false};
std::atomic<int> g_state{0};  // 0 unknown, 1 enabled in this process, -1 unavailable
[[maybe_unused]] thread_local bool t_dispatch_on = false;
thread_local bool t_watching = false;  // enable() succeeded on this thread (and no disable() since)
[[maybe_unused]] struct sigaction g_previous{};  // a SIGSYS handler the program had (seccomp users)

#if PRUN_SYSCALL_DISPATCH
long dispatch(int on) noexcept {
  if (!on) return quiet_syscall(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0);
  const auto start = reinterpret_cast<unsigned long>(&prun_quiet_syscall6);
  const auto end = reinterpret_cast<unsigned long>(&prun_quiet_syscall_end[0]);
  return quiet_syscall(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, static_cast<long>(start),
                       static_cast<long>(end - start), reinterpret_cast<long>(&g_selector));
}

void on_sigsys(int sig, siginfo_t* info, void* context) {
  if (info->si_code != SYS_USER_DISPATCH) {
    // Not ours (a seccomp policy, say): what the program would have done without prun.
    if (g_previous.sa_flags & SA_SIGINFO) {
      if (g_previous.sa_sigaction) g_previous.sa_sigaction(sig, info, context);
      return;
    }
    if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
      g_previous.sa_handler(sig);
      return;
    }
    struct sigaction dfl{};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(SIGSYS, &dfl, nullptr);
    quiet_syscall(SYS_tgkill, ::getpid(), quiet_syscall(SYS_gettid), SIGSYS);
    return;
  }
  g_selector = SYSCALL_DISPATCH_FILTER_ALLOW;
  g_noticed.store(true, std::memory_order_relaxed);
  // This thread makes system calls: let the rest of them run at full speed.
  dispatch(0);
  t_dispatch_on = false;
  // Run the call that trapped: back to its `syscall` instruction (2 bytes), number restored.
  auto* uc = static_cast<ucontext_t*>(context);
  uc->uc_mcontext.gregs[REG_RIP] -= 2;
  uc->uc_mcontext.gregs[REG_RAX] = info->si_syscall;
}
#endif

[[maybe_unused]] bool debugger_attached() noexcept {
  // A debugger would stop at every SIGSYS: leave the process alone then.
  int fd = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[4096];
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return false;
  buf[n] = '\0';
  const char* p = __builtin_strstr(buf, "TracerPid:");
  if (!p) return false;
  p += 10;
  while (*p == ' ' || *p == '\t') ++p;
  return *p != '0';
}
}  // namespace

long quiet_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6) noexcept {
#if defined(__x86_64__)
  return prun_quiet_syscall6(nr, a1, a2, a3, a4, a5, a6);
#else
  long r = ::syscall(nr, a1, a2, a3, a4, a5, a6);
  return r < 0 ? -errno : r;
#endif
}

bool quiet_write_all(int fd, const void* data, unsigned long size) noexcept {
  auto* p = static_cast<const char*>(data);
  while (size > 0) {
    long n = quiet_syscall(SYS_write, fd, reinterpret_cast<long>(p), static_cast<long>(size));
    if (n == -EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<unsigned long>(n);
  }
  return true;
}

bool SyscallWatch::enable(bool unless_traced) noexcept {
#if PRUN_SYSCALL_DISPATCH
  if (g_state.load() < 0) return false;
  if (unless_traced && debugger_attached()) return false;
  struct sigaction current{};
  ::sigaction(SIGSYS, nullptr, &current);
  if (!(current.sa_flags & SA_SIGINFO) || current.sa_sigaction != on_sigsys) {  // not installed, or replaced
    struct sigaction sa{};
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigfillset(&sa.sa_mask);
    if (::sigaction(SIGSYS, &sa, &g_previous) != 0) {
      g_state.store(-1);
      return false;
    }
  }
  g_selector = SYSCALL_DISPATCH_FILTER_ALLOW;
  if (dispatch(1) != 0) {
    ::sigaction(SIGSYS, &g_previous, nullptr);
    g_state.store(-1);
    return false;
  }
  t_dispatch_on = true;
  t_watching = true;
  g_state.store(1);
  return true;
#else
  (void)unless_traced;
  g_state.store(-1);
  return false;
#endif
}

bool SyscallWatch::enabled() noexcept { return t_watching; }

void SyscallWatch::disable() noexcept {
  t_watching = false;
#if PRUN_SYSCALL_DISPATCH
  g_selector = SYSCALL_DISPATCH_FILTER_ALLOW;
  if (t_dispatch_on) dispatch(0);
  t_dispatch_on = false;
#endif
}

void SyscallWatch::arm() noexcept {
#if PRUN_SYSCALL_DISPATCH
  if (!t_watching) return;
  if (!t_dispatch_on) {  // the last task's first system call switched it off
    if (dispatch(1) != 0) return;
    t_dispatch_on = true;
  }
  g_noticed.store(false, std::memory_order_relaxed);
  std::atomic_signal_fence(std::memory_order_seq_cst);
  g_selector = SYSCALL_DISPATCH_FILTER_BLOCK;
  std::atomic_signal_fence(std::memory_order_seq_cst);
#endif
}

void SyscallWatch::disarm() noexcept {
  std::atomic_signal_fence(std::memory_order_seq_cst);
  g_selector = SYSCALL_DISPATCH_FILTER_ALLOW;
  std::atomic_signal_fence(std::memory_order_seq_cst);
}

bool SyscallWatch::noticed() noexcept {
  if (!t_watching) return true;
  return g_noticed.load(std::memory_order_acquire);
}

}  // namespace prun::pool::isolation
