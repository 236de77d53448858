#include <prun/logging.hpp>

int main() {
  prun::log::basic_config({.level = prun::log::INFO, .format = "%(levelname)s %(name)s %(message)s", .stream_fd = 1});
  prun::log::get_logger("consumer").info("logging works from {}", "a consumer");
}
