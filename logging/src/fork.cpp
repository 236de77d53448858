// prun::logging's pthread_atfork handlers. Before fork() they take every lock the library
// owns except handler locks, in the lock order of manager.hpp, so that no other thread is
// half-way through changing the configuration, the logger map, the level names, the intern
// pool, the handler registry, the task stamp or dict_config's factories when the child's copy
// is made; parent and child then release them. A handler's lock is not taken (a handler
// blocked in write() must not block fork()): the child reinitialises every handler's lock,
// and a handler busy in another thread at fork time drops what it was writing.

#include "manager.hpp"
#include "process_state.hpp"

#include <pthread.h>
#include <unistd.h>

namespace prun::logging::detail {

namespace {
int g_pid = ::getpid();

void prepare_fork() {
  config_lock().lock_quietly();
  Manager::get().mutex.lock();
  level_names_lock();
  intern_lock();
  registry_lock();
  task_stamp_lock();
  factories_lock();
}

void parent_after_fork() {
  factories_unlock();
  task_stamp_unlock();
  registry_unlock();
  intern_unlock();
  level_names_unlock();
  Manager::get().mutex.unlock();
  config_lock().unlock();
}

void child_after_fork() {
  g_pid = ::getpid();
  // The forking thread took these locks in prepare_fork, so it may release them here (the
  // pthread_atfork idiom, which ThreadSanitizer follows too); no other thread exists now.
  task_stamp_after_fork_in_child();
  registry_after_fork_in_child();  // reinitialises the handlers' locks, which others may hold
  factories_unlock();
  task_stamp_unlock();
  registry_unlock();
  intern_unlock();
  level_names_unlock();
  Manager::get().mutex.unlock();
  config_lock().release_in_child();
}

// Registered when the library is loaded, before any thread of the program can fork.
[[maybe_unused]] const int g_registered = ::pthread_atfork(prepare_fork, parent_after_fork, child_after_fork);
}  // namespace

void install_fork_handlers() {}  // referencing this file links the registration above

int cached_pid() noexcept { return g_pid; }

}  // namespace prun::logging::detail
