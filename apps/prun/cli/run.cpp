#include "run.hpp"

#include "output.hpp"
#include "session.hpp"
#include "text.hpp"

#include <prun/pool/commands.hpp>

namespace prun::cli {

int run(const CliOptions& options) { return run_with(options, pool::run_commands); }

int main(int argc, char** argv) {
  try {
    CliOptions options = parse_command_line(argc, argv);
    if (options.help) {
      write_fully(1, help_text());
      return 0;
    }
    if (options.version) {
      write_fully(1, "prun " PRUN_VERSION "\n");
      return 0;
    }
    return run(options);
  } catch (const std::bad_alloc&) {
    complain("out of memory");
  } catch (const std::exception& e) {
    complain(e.what());
  }
  return 255;
}

}  // namespace prun::cli
