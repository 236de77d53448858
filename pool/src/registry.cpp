#include <prun/pool/registry.hpp>

#include <cxxabi.h>
#include <dlfcn.h>

#include <fmt/format.h>

#include <map>
#include <mutex>
#include <new>

#include <pthread.h>
#include <stdexcept>

namespace prun::pool {

namespace {
struct Registry {
  std::mutex mutex;
  std::map<std::string, RegisteredFunction, std::less<>> by_name;
  std::map<const void*, const RegisteredFunction*> by_address;
};
Registry& registry();
Registry* make_registry() {
  auto* r = new Registry;  // filled by static initialisers, used until exit
  // A worker forked while another thread held the lock looks functions up too: its copy of
  // the lock is fresh (the thread that held it does not exist there).
  ::pthread_atfork(nullptr, nullptr, [] { new (&registry().mutex) std::mutex(); });
  return r;
}
Registry& registry() {
  static Registry* r = make_registry();
  return *r;
}
// Made at load time at the latest, never first in a thread that another thread's fork() could
// interrupt (the child would wait for the static's guard forever).
[[maybe_unused]] const Registry& g_registry_ready = registry();
}  // namespace

void register_function(RegisteredFunction fn) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  if (auto it = r.by_name.find(fn.name); it != r.by_name.end()) {
    if (it->second.address == fn.address) return;
    throw std::logic_error("prun: the task name '" + fn.name + "' is registered for two functions");
  }
  auto [it, inserted] = r.by_name.emplace(fn.name, std::move(fn));
  r.by_address.emplace(it->second.address, &it->second);
}

const RegisteredFunction* find_function(const void* address) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  auto it = r.by_address.find(address);
  return it == r.by_address.end() ? nullptr : it->second;
}

const RegisteredFunction* find_function(std::string_view name) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  auto it = r.by_name.find(name);
  return it == r.by_name.end() ? nullptr : &it->second;
}

std::string describe_address(const void* address) {
  Dl_info info{};
  if (::dladdr(address, &info) && info.dli_sname) {
    int status = 0;
    char* demangled = abi::__cxa_demangle(info.dli_sname, nullptr, nullptr, &status);
    std::string name = status == 0 && demangled ? demangled : info.dli_sname;
    std::free(demangled);
    return "'" + name + "'";
  }
  return fmt::format("the function at {}", address);
}

}  // namespace prun::pool
