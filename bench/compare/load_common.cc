#include "bench/compare/load_common.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include <time.h>
#include <unistd.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace accord::bench {

absl::StatusOr<Flags> Flags::Parse(int argc, char** argv, const std::vector<std::string>& known) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", a, "'"));
    a = a.substr(2);
    if (std::find(known.begin(), known.end(), a) == known.end()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", a, " (see --help)"));
    }
    if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0) {
      f.values_[a] = argv[++i];
    } else {
      f.values_[a] = "1";
    }
  }
  return f;
}

std::string Flags::Str(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

absl::StatusOr<double> Flags::Number(const std::string& name, double fallback, double min, double max) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  double v = 0;
  if (!absl::SimpleAtod(it->second, &v) || !std::isfinite(v) || v < min || v > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, " must be a number in [", min, ", ", max, "], got '", it->second, "'"));
  }
  return v;
}

int64_t MonotonicNanos() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

absl::StatusOr<double> ProcessCpuSeconds(int pid) {
  const std::string path = absl::StrCat("/proc/", pid, "/stat");
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  // The command name (field 2) may hold spaces: count fields after its ')'.
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return absl::DataLossError(absl::StrCat("unexpected ", path));
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int n = 3; rest >> field; ++n) {  // field 3 is the state
    if (n == 14) utime = std::stod(field);
    if (n == 15) {
      stime = std::stod(field);
      return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
    }
  }
  return absl::DataLossError(absl::StrCat("short ", path));
}

double PercentileMs(std::vector<int64_t> samples_ns, double q) {
  if (samples_ns.empty()) return -1;
  std::sort(samples_ns.begin(), samples_ns.end());
  const double rank = std::ceil(q * static_cast<double>(samples_ns.size()));
  const size_t i = std::min(samples_ns.size() - 1, static_cast<size_t>(std::max(1.0, rank)) - 1);
  return static_cast<double>(samples_ns[i]) / 1e6;
}

int64_t ScheduledNanos(int64_t start_ns, double rate, int count, int index, int64_t k) {
  const double slot = static_cast<double>(k) * count + index;
  return start_ns + static_cast<int64_t>(slot * 1e9 / rate);
}

}  // namespace accord::bench

namespace accord::bench {

LoadResult RunLoad(const LoadOptions& o, const PublishFn& publish,
                   const std::function<void(int64_t, int64_t)>& on_window) {
  LoadResult r;
  const int64_t t0 = MonotonicNanos() + 20'000'000;  // let every thread start
  r.window_start_ns = t0 + static_cast<int64_t>(o.warmup_seconds * 1e9);
  r.window_end_ns = r.window_start_ns + static_cast<int64_t>(o.seconds * 1e9);
  if (on_window) on_window(r.window_start_ns, r.window_end_ns);
  const int64_t grace_ns = std::max<int64_t>(2'000'000'000, static_cast<int64_t>(o.seconds * 0.5e9));
  absl::Mutex mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < o.publishers; ++t) {
    threads.emplace_back([&, t] {
      std::vector<int64_t> mine;
      int64_t counted = 0, errors = 0, unsent = 0, published = 0;
      std::string first_error;
      for (int64_t now = MonotonicNanos(); now < t0; now = MonotonicNanos()) {
        timespec ts{0, static_cast<long>(t0 - now)};
        nanosleep(&ts, nullptr);
      }
      for (int64_t k = 0;; ++k) {
        int64_t start = MonotonicNanos();
        if (o.rate > 0) {
          start = ScheduledNanos(t0, o.rate, o.publishers, t, k);
          if (start >= r.window_end_ns) break;
          // A server that cannot keep up would hold the run for as long as
          // its backlog: give up on what is still unsent after the grace.
          if (MonotonicNanos() > r.window_end_ns + grace_ns) {
            // Their latency is at least the time they have waited so far.
            const int64_t now = MonotonicNanos();
            for (int64_t at; (at = ScheduledNanos(t0, o.rate, o.publishers, t, k)) < r.window_end_ns; ++k) {
              ++unsent;
              if (at >= r.window_start_ns) mine.push_back(now - at);
            }
            break;
          }
          for (int64_t now = MonotonicNanos(); now < start; now = MonotonicNanos()) {
            timespec ts{0, static_cast<long>(std::min<int64_t>(start - now, 50'000'000))};
            nanosleep(&ts, nullptr);
          }
        }
        if (start >= r.window_end_ns) break;
        const absl::Status s = publish(t, k, start);
        const int64_t done = MonotonicNanos();
        if (!s.ok()) {
          if (errors++ == 0) first_error = std::string(s.message());
          timespec pause{0, 10'000'000};  // a server that refuses at once must not become a busy loop
          nanosleep(&pause, nullptr);
          continue;
        }
        if (done >= r.window_start_ns && done < r.window_end_ns) ++counted;
        if (start >= r.window_start_ns && start < r.window_end_ns) {
          ++published;
          mine.push_back(done - start);
        }
      }
      absl::MutexLock l(&mu);
      r.events += counted;
      r.errors += errors;
      r.unsent += unsent;
      r.published += published;
      if (r.first_error.empty()) r.first_error = first_error;
      r.latency_ns.insert(r.latency_ns.end(), mine.begin(), mine.end());
    });
  }
  double cpu_start = -1, client_start = -1;
  {
    for (int64_t now = MonotonicNanos(); now < r.window_start_ns; now = MonotonicNanos()) {
      timespec ts{0, static_cast<long>(std::min<int64_t>(r.window_start_ns - now, 50'000'000))};
      nanosleep(&ts, nullptr);
    }
    if (o.server_pid > 0) cpu_start = ProcessCpuSeconds(o.server_pid).value_or(-1);
    client_start = ProcessCpuSeconds(getpid()).value_or(-1);
    for (int64_t now = MonotonicNanos(); now < r.window_end_ns; now = MonotonicNanos()) {
      timespec ts{0, static_cast<long>(std::min<int64_t>(r.window_end_ns - now, 50'000'000))};
      nanosleep(&ts, nullptr);
    }
    const double cpu_end = o.server_pid > 0 ? ProcessCpuSeconds(o.server_pid).value_or(-1) : -1;
    const double client_end = ProcessCpuSeconds(getpid()).value_or(-1);
    if (cpu_start >= 0 && cpu_end >= 0) r.server_cpu_seconds = cpu_end - cpu_start;
    if (client_start >= 0 && client_end >= 0) r.client_cpu_seconds = client_end - client_start;
  }
  for (std::thread& th : threads) th.join();
  return r;
}

void DeliveryLatencies::SetWindow(int64_t start_ns, int64_t end_ns) {
  absl::MutexLock l(&mu_);
  start_ = start_ns;
  end_ = end_ns;
}

void DeliveryLatencies::Record(int64_t published_ns, int64_t delivered_ns) {
  absl::MutexLock l(&mu_);
  if (published_ns >= start_ && published_ns < end_) samples_.push_back(delivered_ns - published_ns);
}

std::vector<int64_t> DeliveryLatencies::Samples() const {
  absl::MutexLock l(&mu_);
  return samples_;
}

void PrintResult(const LoadOptions& o, const LoadResult& r, const std::vector<int64_t>& delivery_ns,
                 const std::vector<std::pair<std::string, std::string>>& extra) {
  const double window = static_cast<double>(r.window_end_ns - r.window_start_ns) / 1e9;
  std::string line = absl::StrCat(
      "result publishers=", o.publishers, " rate=", o.rate, " seconds=", window,
      " events=", r.events, " throughput=", absl::StrFormat("%.1f", static_cast<double>(r.events) / window),
      " errors=", r.errors, " published=", r.published, " unsent=", r.unsent,
      " pub_p50_ms=", absl::StrFormat("%.2f", PercentileMs(r.latency_ns, 0.50)),
      " pub_p99_ms=", absl::StrFormat("%.2f", PercentileMs(r.latency_ns, 0.99)),
      " delivered=", delivery_ns.size(),
      " dlv_p50_ms=", absl::StrFormat("%.2f", PercentileMs(delivery_ns, 0.50)),
      " dlv_p99_ms=", absl::StrFormat("%.2f", PercentileMs(delivery_ns, 0.99)),
      " cpu_ms_per_event=",
      absl::StrFormat("%.3f", r.server_cpu_seconds < 0 || r.events == 0
                                  ? -1.0
                                  : r.server_cpu_seconds * 1e3 / static_cast<double>(r.events)),
      " client_cpu_ms_per_event=",
      absl::StrFormat("%.3f", r.client_cpu_seconds < 0 || r.events == 0
                                  ? -1.0
                                  : r.client_cpu_seconds * 1e3 / static_cast<double>(r.events)));
  for (const auto& [k, v] : extra) absl::StrAppend(&line, " ", k, "=", v);
  std::printf("%s\n", line.c_str());
  if (!r.first_error.empty()) std::fprintf(stderr, "first error: %s\n", r.first_error.c_str());
  std::fflush(stdout);
}

}  // namespace accord::bench
