// prun: GNU parallel's command line on prun's engine (cli/), or, when the first argument is
// one of the demo's options, the seed demo (demo.cpp).
#include "cli/run.hpp"
#include "demo.hpp"

#include <prun/pool/pool.hpp>

int main(int argc, char** argv) {
  prun::pool::init(argc, argv);  // the demo's --backend spawn re-executes this program as workers
  if (argc > 1 && prun::demo::is_demo_option(argv[1])) return prun::demo::main(argc, argv);
  return prun::cli::main(argc, argv);
}
