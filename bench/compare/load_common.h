// What the three load generators of bench/compare share: a tiny flag parser,
// latency percentiles, a server's CPU time from /proc/<pid>/stat, and the one
// "result key=value ..." line the compare script reads.
#ifndef ACCORD_BENCH_COMPARE_LOAD_COMMON_H_
#define ACCORD_BENCH_COMPARE_LOAD_COMMON_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace accord::bench {

// `--name value` pairs; a bare `--name` is "1". Unknown names are an error
// when Check() is called with the list of known ones.
class Flags {
 public:
  static absl::StatusOr<Flags> Parse(int argc, char** argv, const std::vector<std::string>& known);
  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  std::string Str(const std::string& name, const std::string& fallback) const;
  absl::StatusOr<double> Number(const std::string& name, double fallback, double min, double max) const;

 private:
  std::map<std::string, std::string> values_;
};

// Nanoseconds on CLOCK_MONOTONIC (the same clock in every process).
int64_t MonotonicNanos();

// utime + stime of a process in seconds; error if it does not exist.
absl::StatusOr<double> ProcessCpuSeconds(int pid);

// The q-quantile (0..1) of `samples` in milliseconds, by nearest rank; -1 if empty.
double PercentileMs(std::vector<int64_t> samples_ns, double q);

// Open-loop pacing: publisher `index` of `count` sharing `rate` events/s
// sends its k-th event at start + (k * count + index) / rate.
int64_t ScheduledNanos(int64_t start_ns, double rate, int count, int index, int64_t k);

struct LoadOptions {
  int publishers = 1;
  double warmup_seconds = 1;   // published but not counted
  double seconds = 5;          // the measured window
  double rate = 0;             // events/s offered in total; 0 = closed loop
  int server_pid = 0;          // CPU sampled at the window's edges when > 0
};

struct LoadResult {
  int64_t window_start_ns = 0, window_end_ns = 0;
  int64_t events = 0;          // publishes acknowledged inside the window (throughput)
  int64_t errors = 0;          // failed publishes, anywhere
  int64_t unsent = 0;          // open loop: scheduled in the window, never sent (server saturated)
  std::string first_error;
  int64_t published = 0;       // acknowledged publishes started (scheduled) in the window
  // Their latencies, and for each unsent one the time it had waited when
  // given up (a lower bound).
  std::vector<int64_t> latency_ns;
  double server_cpu_seconds = -1;   // over the window
  double client_cpu_seconds = -1;   // this process, over the window
};

// One publish by publisher `thread`, its k-th, meant to start at `start_ns`.
using PublishFn = std::function<absl::Status(int thread, int64_t k, int64_t start_ns)>;

// Runs `publishers` threads for warmup + seconds. Closed loop: each sends its
// next event when the previous one is acknowledged. Open loop (rate > 0):
// sends on schedule and measures latency from the scheduled time, so a
// backlog shows as latency rather than as fewer samples; what is still
// unsent max(2 s, seconds/2) after the window is counted as unsent.
// `on_window(start, end)` is told the measured window before any publish.
LoadResult RunLoad(const LoadOptions& options, const PublishFn& publish,
                   const std::function<void(int64_t, int64_t)>& on_window = nullptr);

// Publish-to-delivery latencies, fed by subscriber threads.
class DeliveryLatencies {
 public:
  // Only events whose publish was scheduled in [start, end) count.
  void SetWindow(int64_t start_ns, int64_t end_ns);
  void Record(int64_t published_ns, int64_t delivered_ns);
  std::vector<int64_t> Samples() const;

 private:
  mutable absl::Mutex mu_;
  int64_t start_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t end_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<int64_t> samples_ ABSL_GUARDED_BY(mu_);
};

// Prints "result k1=v1 k2=v2 ..." on stdout (the compare script's input):
// events/s, publish p50/p99, server CPU per event, plus `extra` fields.
void PrintResult(const LoadOptions& options, const LoadResult& result,
                 const std::vector<int64_t>& delivery_ns,
                 const std::vector<std::pair<std::string, std::string>>& extra);

}  // namespace accord::bench

#endif  // ACCORD_BENCH_COMPARE_LOAD_COMMON_H_
