#pragma once
// The command line of the two ports of the blog program (blog_port_literal.cpp and
// blog_port_idiomatic.cpp): --n-jobs N as in the seed, plus --backend fork|spawn, and for the
// literal port --without-restore (the run without restore_root_logger around it).
#include <prun/prun.hpp>

#include <cstdio>
#include <cstdlib>
#include <string_view>

struct BlogArgs {
  int n_jobs = 0;
  prun::Backend backend = prun::Backend::fork;
  bool restore = true;
};

inline BlogArgs parse_blog_args(int argc, char** argv) {
  BlogArgs a;
  bool have_n_jobs = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--n-jobs" && i + 1 < argc) {
      a.n_jobs = std::atoi(argv[++i]);
      have_n_jobs = a.n_jobs != 0;
    } else if (arg == "--backend" && i + 1 < argc && std::string_view(argv[i + 1]) == "fork") {
      a.backend = prun::Backend::fork;
      ++i;
    } else if (arg == "--backend" && i + 1 < argc && std::string_view(argv[i + 1]) == "spawn") {
      a.backend = prun::Backend::spawn;
      ++i;
    } else if (arg == "--without-restore") {
      a.restore = false;
    } else {
      have_n_jobs = false;
      break;
    }
  }
  if (!have_n_jobs) {
    std::fprintf(stderr, "usage: %s --n-jobs N [--backend fork|spawn] [--without-restore]\n", argv[0]);
    std::exit(2);
  }
  return a;
}
