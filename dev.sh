#!/usr/bin/env bash
# prun's one-command entry points, for a fresh Debian 12 machine (as root) or any dev box.
#
#   ./dev.sh demo       install what is missing, build, run `prun --n-jobs 3`
#   ./dev.sh test       install what is missing, build with warnings as errors, run every test
#   ./dev.sh sanitize   the same tests under AddressSanitizer + UndefinedBehaviorSanitizer
#   ./dev.sh tsan       the same tests under ThreadSanitizer
#   ./dev.sh bench      build optimised and print the benchmark numbers
set -euo pipefail
cd "$(dirname "$0")"

# libcli11-dev reads prun's command line; parallel (GNU parallel) is what the CLI's tests
# compare prun with, and what its benchmark measures it against; python3-joblib is the oracle
# of ProgressObserver's verbose lines (tests/pool/check_joblib_progress.py). openmpi-bin and
# libopenmpi-dev: Backend::mpi (prun::mpi, plain MPI C API: no Boost.MPI) and its tests under
# mpirun.
PACKAGES=(g++ cmake ninja-build python3 libboost1.81-dev
          libfmt-dev doctest-dev libcereal-dev nlohmann-json3-dev libcli11-dev parallel python3-joblib
          openmpi-bin libopenmpi-dev)

install_missing() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "dev.sh: installing ${missing[*]}"
    local sudo=""
    [[ $(id -u) -eq 0 ]] || sudo="sudo"
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
  fi
}

build() {  # build <dir> <cmake args...>
  local dir=$1
  shift
  cmake -S . -B "$dir" -G Ninja "$@"
  cmake --build "$dir" -j2
}

case "${1:-}" in
  demo)
    install_missing
    build build -DCMAKE_BUILD_TYPE=RelWithDebInfo
    ./build/apps/prun --n-jobs 3
    ;;
  test)
    install_missing
    build build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPRUN_WARNINGS_AS_ERRORS=ON
    ctest --test-dir build --output-on-failure -j2
    ;;
  sanitize)
    install_missing
    # Without MPI: Open MPI's own allocations at exit would be reported as leaks.
    build build-asan -DCMAKE_BUILD_TYPE=Debug -DPRUN_WARNINGS_AS_ERRORS=ON -DPRUN_SANITIZE=ON -DPRUN_WITH_MPI=OFF
    # Reports go to files too: a test that captures its own stderr would swallow them.
    rm -f build-asan/sanitizer.*
    status=0
    ASAN_OPTIONS="detect_leaks=1 log_path=$PWD/build-asan/sanitizer" \
      UBSAN_OPTIONS="print_stacktrace=1 log_path=$PWD/build-asan/sanitizer" \
      ctest --test-dir build-asan --output-on-failure -j2 || status=$?
    cat build-asan/sanitizer.* 2>/dev/null || true
    exit $status
    ;;
  tsan)
    install_missing
    # Without MPI: Open MPI's libraries are not instrumented, so TSan cannot see their locks.
    build build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPRUN_WARNINGS_AS_ERRORS=ON -DPRUN_TSAN=ON -DPRUN_WITH_MPI=OFF
    rm -f build-tsan/sanitizer.*
    status=0
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 log_path=$PWD/build-tsan/sanitizer" \
      ctest --test-dir build-tsan --output-on-failure -j2 || status=$?
    cat build-tsan/sanitizer.* 2>/dev/null || true
    exit $status
    ;;
  bench)
    install_missing
    build build-release -DCMAKE_BUILD_TYPE=Release
    ./build-release/apps/prun_bench_logging
    ./build-release/apps/prun_bench_pool
    ./build-release/apps/prun_bench_floors
    python3 apps/bench/compare_python.py
    python3 apps/bench/bench_cli.py ./build-release/apps/prun
    # Backend::mpi against fork in one run: rank 0 and two worker ranks (docs/distributed.md).
    if [[ -x build-release/apps/prun_bench_mpi ]]; then
      mpirun --oversubscribe --allow-run-as-root -np 3 ./build-release/apps/prun_bench_mpi
    fi
    ;;
  *)
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
