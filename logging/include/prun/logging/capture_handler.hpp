#pragma once
/// CaptureHandler: keeps records and their formatted text in memory (a test double).

#include <prun/logging/handler.hpp>

#include <string>
#include <vector>

namespace prun::logging {

/// Stores a copy of each record it emits and the record's formatted text. Thread-safe.
class CaptureHandler final : public Handler {
 public:
  using Handler::Handler;
  std::vector<Record> records() const;
  std::vector<std::string> lines() const;
  std::size_t size() const;
  void clear();

 protected:
  void emit(const Record& record) override;

 private:
  std::vector<Record> records_;
  std::vector<std::string> lines_;
};

}  // namespace prun::logging
