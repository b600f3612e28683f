// The progress line of long commands, Ctrl-C handling, and the clock of the commands and benchmarks
// (seconds_now: a steady clock in seconds).
//
//   step 1200/20000  37.2 steps/s  ETA 8m25s  loss 123.40  recon 100.10  kl 23.30  | KL/latent 5.1 4.2 0.0
//
// On a terminal the line is redrawn in place (at most 10 times a second); in a log file a full line is
// written every `every` steps, so logs stay short.
//
// Ctrl-C: `InterruptGuard` installs a SIGINT/SIGTERM handler that only sets a flag; long loops poll
// `interrupted()` at a safe point (between steps), save what they must and exit cleanly. A second Ctrl-C
// kills the program the usual way.
#pragma once
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <string>

namespace cli {

inline double seconds_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

inline std::string format_duration(double seconds) {
  char text[32];
  if (!(seconds >= 0) || seconds > 1e7) return "?";
  long s = static_cast<long>(seconds + 0.5);
  if (s >= 3600) std::snprintf(text, sizeof text, "%ldh%02ldm", s / 3600, (s / 60) % 60);
  else if (s >= 60) std::snprintf(text, sizeof text, "%ldm%02lds", s / 60, s % 60);
  else std::snprintf(text, sizeof text, "%lds", s);
  return text;
}

class Progress {
 public:
  // Steps first+1 … total are to be done in this process; `every`: line interval when not a terminal.
  Progress(int64_t first, int64_t total, int64_t every, FILE* out = stdout)
      : first_(first), total_(total), every_(every < 1 ? 1 : every), out_(out), tty_(isatty(fileno(out))),
        start_(seconds_now()) {}

  // Report that `step` steps are done; `details` follows the rate and ETA.
  void update(int64_t step, const std::string& details) {
    double now = seconds_now();
    bool last = step >= total_;
    bool line_due = (step - first_) % every_ == 0 || last;
    if (tty_ ? (now - drawn_ < 0.1 && !last) : !line_due) return;
    drawn_ = now;
    double rate = static_cast<double>(step - first_) / (now - start_ + 1e-12);
    double eta = rate > 0 ? static_cast<double>(total_ - step) / rate : -1;
    std::fprintf(out_, "%sstep %lld/%lld  %.1f steps/s  ETA %s  %s%s", tty_ ? "\r\033[K" : "",
                 static_cast<long long>(step), static_cast<long long>(total_), rate, format_duration(eta).c_str(),
                 details.c_str(), tty_ && !last ? "" : "\n");
    std::fflush(out_);
  }
  // Ends a line drawn in place (before printing anything else).
  void finish_line() {
    if (tty_) std::fprintf(out_, "\n");
  }
  double elapsed() const { return seconds_now() - start_; }

 private:
  int64_t first_, total_, every_;
  FILE* out_;
  bool tty_;
  double start_, drawn_ = -1;
};

namespace detail {
inline volatile std::sig_atomic_t interrupt_flag = 0;
extern "C" inline void on_interrupt(int sig) {
  if (interrupt_flag) {  // the second signal: default behaviour
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
  interrupt_flag = 1;
}
}  // namespace detail

// While alive, SIGINT and SIGTERM set a flag instead of killing the process.
class InterruptGuard {
 public:
  InterruptGuard() {
    detail::interrupt_flag = 0;
    old_int_ = std::signal(SIGINT, detail::on_interrupt);
    old_term_ = std::signal(SIGTERM, detail::on_interrupt);
  }
  ~InterruptGuard() {
    std::signal(SIGINT, old_int_);
    std::signal(SIGTERM, old_term_);
  }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
  bool interrupted() const { return detail::interrupt_flag != 0; }

 private:
  void (*old_int_)(int);
  void (*old_term_)(int);
};

}  // namespace cli
