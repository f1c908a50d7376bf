// libmpg123, which libsndfile uses for MP3, prints warnings such as "Warning: Xing stream size off by more than
// 1%" or "Note: Illegal Audio-MPEG-Header" straight to stderr, and libsndfile gives no way to set MPG123_QUIET.
// mer reports every bad file itself in one line, so while this object lives, lines from libmpg123 written to
// file descriptor 2 are dropped and everything else is passed through unchanged.
#pragma once

#include <thread>

namespace mer::cli {

class StderrFilter {
 public:
  StderrFilter();
  ~StderrFilter();
  StderrFilter(const StderrFilter&) = delete;
  StderrFilter& operator=(const StderrFilter&) = delete;

 private:
  int original_ = -1;  // duplicate of the real stderr
  int pipe_read_ = -1;
  std::thread reader_;
};

}  // namespace mer::cli
