// docs/steering.md quotes this program (built and run by CTest): a run watched by joblib's
// progress lines (and a live bar when standard error is a terminal) and written to a Chrome
// trace. docs/example-trace.json is its trace:
//
//   prun_observers_example docs/example-trace.json
#include <prun/prun.hpp>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>

int resize(int image) {
  prun::log::info("resizing image {}", image);
  std::this_thread::sleep_for(std::chrono::milliseconds(10 + 15 * (image % 3)));
  if (image == 7) throw std::runtime_error("image 7 is corrupt");
  return image * 100;
}

int main(int argc, char** argv) {
  const std::string trace_file = argc > 1 ? argv[1] : "trace.json";
  prun::log::basic_config({.level = prun::log::INFO, .format = "%(processName)s %(message)s"});

  auto progress = std::make_shared<prun::ProgressObserver>(prun::ProgressOptions{.verbose = 10});
  auto trace = std::make_shared<prun::TraceObserver>(prun::TraceOptions{.path = trace_file, .records = true});
  prun::Options options{.n_jobs = 2, .on_error = prun::ErrorPolicy::collect};
  options.observer = std::make_shared<prun::ObserverList>(progress, trace);

  std::vector<prun::Task<int>> tasks;
  for (int image = 0; image < 12; ++image)
    tasks.push_back(prun::delayed(resize)(image).with_tag("img" + std::to_string(image)));
  auto outcomes = prun::Parallel(options).outcomes(tasks);

  int ok = 0;
  for (const auto& o : outcomes) ok += o.ok();
  std::printf("%d of %zu images resized; trace in %s\n", ok, outcomes.size(), trace->files().front().c_str());
}
