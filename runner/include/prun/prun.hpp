#pragma once
/// prun: a process-pool task runner with per-task logging. Everything a user needs.

#include <prun/logging.hpp>
#include <prun/pool/task_table.hpp>
#include <prun/pool/cancel.hpp>
#include <prun/pool/errors.hpp>
#include <prun/pool/observer.hpp>
#include <prun/pool/options.hpp>
#include <prun/pool/pool.hpp>
#include <prun/pool/progress.hpp>
#include <prun/pool/registry.hpp>
#include <prun/pool/trace.hpp>
#include <prun/runner/codec.hpp>
#include <prun/runner/outcome.hpp>
#include <prun/runner/parallel.hpp>
#include <prun/runner/registry.hpp>
#include <prun/runner/run.hpp>
#include <prun/runner/task.hpp>
