#pragma once
/// \file
/// Windows over any accumulator A: a tumbling window keeps one A per calendar period (NPS by month,
/// CSAT by ISO week, ...); a sliding window over the last N periods is the merge of their buckets.
/// An event lands in the period of its own time, so out-of-order input gives the same state as sorted
/// input. An optional bound on lateness rejects (and counts) events older than the latest time seen
/// minus the bound: that bound makes the result depend on arrival order, by design.
///
/// Times: a window holds the periods of the calendar range of events/time.hpp (the years -32766 ..
/// 32766, earliest_period_time .. latest_period_time), so that every bucket's period can be started,
/// ended and labelled. add_at rejects a time outside it as bad input (rejection_reason::
/// time_out_of_range, through the policy passed last, else cxm::invalid_event); bucket_at throws
/// cxm::invalid_event. The lateness bound is any count of milliseconds >= 0: the earliest accepted time
/// is saturating_sub(watermark, bound), never an overflow. load checks the same ranges.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/container/flat_map.hpp>

#include "cxm/core/accumulator.hpp"
#include "cxm/core/error.hpp"
#include "cxm/core/invalid_input.hpp"
#include "cxm/core/iso8601.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"
#include "cxm/events/time.hpp"

namespace cxm {

/// An observation with its time: the input of a window.
template <class X>
struct timed {
  timestamp time;  ///< when it happened
  X value;  ///< what is added
};

/// A tumbling window: one accumulator `A` per calendar period, the period of each observation's own time.
/// Input: timed<X> (add) or a time and A::add's arguments (add_at). Result: every period with data,
/// oldest first, and the count rejected as too late. Parameters: the period unit, the prototype A
/// (its parameters) and an optional lateness bound. Per add: a binary search over the P periods with
/// data, plus an O(P) insertion for a new period; memory: one A per period with data. Mergeable bucket
/// by bucket, order-free without a lateness bound. Not synchronised (docs/architecture.md,
/// "Thread safety"). See the top of this header and docs/architecture.md, "Windows".
template <class A>
class tumbling {
 public:
  /// Identifies the payload in a framed image (docs/state-format.md).
  static constexpr std::uint32_t type_tag = fourcc("tmbl");
  /// Version of the payload's layout (docs/state-format.md).
  static constexpr std::uint16_t format_version = 1;
  /// The result of one bucket.
  using bucket_result = decltype(std::declval<const A&>().result());

  /// One period with data.
  struct period_result {
    period when;  ///< the period
    bucket_result result;  ///< its bucket's result
  };
  /// The result: every period with data, and the too-late count.
  struct result_type {
    std::vector<period_result> periods;  ///< every period with data, oldest first
    std::uint64_t too_late;              ///< observations rejected by the lateness bound
  };

  tumbling() = default;
  /// `prototype`: an empty A with the parameters each bucket starts from (scale, threshold, ...).
  explicit tumbling(period_unit unit, A prototype = A{}, std::optional<std::chrono::milliseconds> max_lateness = {})
      : unit_(unit), prototype_(std::move(prototype)), max_lateness_(max_lateness) {
    if (max_lateness_ && max_lateness_->count() < 0) throw std::invalid_argument("tumbling: negative max_lateness");
  }

  [[nodiscard]] period_unit unit() const noexcept { return unit_; }  ///< the period unit
  /// The lateness bound; empty: none.
  [[nodiscard]] std::optional<std::chrono::milliseconds> max_lateness() const noexcept { return max_lateness_; }
  /// The latest time folded in; empty before the first.
  [[nodiscard]] std::optional<timestamp> watermark() const noexcept { return watermark_; }

  /// Whether an observation at `t` is within the lateness bound (always, without a bound or before
  /// the first observation): t >= saturating_sub(watermark, bound), so a bound reaching before
  /// timestamp::min() accepts every time. Only the bound: add_at also checks the calendar range.
  [[nodiscard]] bool accepts(timestamp t) const noexcept {
    return !max_lateness_ || !watermark_ || t >= saturating_sub(*watermark_, *max_lateness_);
  }

  /// The bucket of the period holding `t`, created on first use. Does not check lateness. Throws
  /// cxm::invalid_event when `t` is outside the calendar range (in_period_range(t) is false).
  A& bucket_at(timestamp t) {
    if (!in_period_range(t)) [[unlikely]] throw invalid_event(out_of_range_message(t));
    const period p = period_of(t, unit_);
    auto it = buckets_.find(p.index);
    if (it == buckets_.end()) it = buckets_.emplace(p.index, prototype_).first;
    return it->second;
  }

  /// Folds `args` into the bucket of `t` (A::add(args...)) and moves the watermark; false when rejected
  /// as too late (counted in result().too_late), as outside the calendar range, or by A::add (when it
  /// returns bool). A time outside the calendar range is bad input: when the last of `args` is a
  /// bad-input policy (as for A::add), it is called with a time_out_of_range rejection; otherwise
  /// cxm::invalid_event is thrown. A rejected observation changes nothing but the too-late count.
  template <class... Args>
  bool add_at(timestamp t, Args&&... args) {
    if (!in_period_range(t)) [[unlikely]] {
      reject_time(t, args...);
      return false;
    }
    if (!accepts(t)) {
      ++too_late_;
      return false;
    }
    // A value A::add rejects (a policy returning false, or throwing) leaves no trace: no new empty
    // bucket, no move of the watermark.
    const auto index = period_of(t, unit_).index;
    auto it = buckets_.find(index);
    const bool created = it == buckets_.end();
    if (created) it = buckets_.emplace(index, prototype_).first;
    bool folded = true;
    try {
      if constexpr (std::is_same_v<decltype(it->second.add(std::forward<Args>(args)...)), bool>) {
        folded = it->second.add(std::forward<Args>(args)...);
      } else {
        it->second.add(std::forward<Args>(args)...);
      }
    } catch (...) {
      if (created) buckets_.erase(it);
      throw;
    }
    if (!folded) {
      if (created) buckets_.erase(it);
      return false;
    }
    if (!watermark_ || t > *watermark_) watermark_ = t;
    return true;
  }

  /// add_at(x.time, x.value).
  template <class X>
  bool add(const timed<X>& x) {
    return add_at(x.time, x.value);
  }

  /// Throws std::invalid_argument when the units, bounds or bucket parameters differ.
  void merge(const tumbling& other) {
    if (other.unit_ != unit_ || other.max_lateness_ != max_lateness_) {
      throw std::invalid_argument("tumbling: cannot merge windows with different periods or lateness bounds");
    }
    if (!(other.prototype_ == prototype_)) throw std::invalid_argument("tumbling: cannot merge windows of different parameters");
    for (const auto& [index, bucket] : other.buckets_) {
      auto it = buckets_.find(index);
      if (it == buckets_.end()) {
        buckets_.emplace(index, bucket);
      } else {
        it->second.merge(bucket);
      }
    }
    if (other.watermark_ && (!watermark_ || *other.watermark_ > *watermark_)) watermark_ = other.watermark_;
    too_late_ += other.too_late_;
  }

  /// The bucket of period `p`, or nullptr when it has no data.
  [[nodiscard]] const A* bucket(period p) const {
    if (p.unit != unit_) throw std::invalid_argument("tumbling: period of another unit");
    const auto it = buckets_.find(p.index);
    return it == buckets_.end() ? nullptr : &it->second;
  }

  /// The merge of the last `periods` periods up to and including the one holding `as_of`; any `as_of`
  /// (period_of is exact for every timestamp, and its index is within about ±1.1e11).
  [[nodiscard]] A sliding(std::size_t periods, timestamp as_of) const {
    A out = prototype_;
    const auto last = period_of(as_of, unit_).index;
    // Clamped: a huge count means "every period up to as_of", never a wrapped-around empty range; with
    // |last| < 2^37, last − 2^40 + 1 cannot overflow.
    const auto span = static_cast<std::int64_t>(std::min<std::size_t>(periods, std::size_t{1} << 40));
    const auto first = last - span + 1;
    for (auto it = buckets_.lower_bound(first); it != buckets_.end() && it->first <= last; ++it) out.merge(it->second);
    return out;
  }

  /// Every period with data, oldest first, and the too-late count.
  [[nodiscard]] result_type result() const {
    result_type r{{}, too_late_};
    r.periods.reserve(buckets_.size());
    for (const auto& [index, bucket] : buckets_) r.periods.push_back({period{unit_, index}, bucket.result()});
    return r;
  }

  [[nodiscard]] std::size_t size() const noexcept { return buckets_.size(); }  ///< number of periods with data

  /// Writes the payload (docs/state-format.md).
  void save(io::writer& w) const {
    w.u32(A::type_tag);
    w.u16(A::format_version);
    w.u8(static_cast<std::uint8_t>(unit_));
    w.boolean(max_lateness_.has_value());
    w.i64(max_lateness_ ? max_lateness_->count() : 0);
    save_optional_time(w, watermark_);
    w.u64(too_late_);
    prototype_.save(w);
    w.u64(buckets_.size());
    for (const auto& [index, bucket] : buckets_) {
      w.i64(index);
      bucket.save(w);
    }
  }

  /// Reads a payload written by save; throws cxm::format_error naming the failed check.
  static tumbling load(io::reader& r) {
    if (r.u32("tumbling: bucket type") != A::type_tag) io::reader::fail("tumbling: buckets of another type");
    const auto inner_version = r.u16("tumbling: bucket format version");
    if (inner_version == 0 || inner_version > A::format_version) {
      io::reader::fail("tumbling: unknown bucket format version " + std::to_string(inner_version));
    }
    const auto unit = r.u8("tumbling: period unit");
    if (unit > static_cast<std::uint8_t>(period_unit::year)) io::reader::fail("tumbling: unknown period unit " + std::to_string(unit));
    tumbling out;
    out.unit_ = static_cast<period_unit>(unit);
    const bool bounded = r.boolean("tumbling: has max_lateness");
    const auto lateness = r.i64("tumbling: max_lateness");
    if (bounded && lateness < 0) io::reader::fail("tumbling: negative max_lateness");
    if (!bounded && lateness != 0) io::reader::fail("tumbling: max_lateness without a bound");
    if (bounded) out.max_lateness_ = std::chrono::milliseconds{lateness};
    // The latest accepted time: add_at accepts only times of the calendar range.
    out.watermark_ = load_optional_time(r, "tumbling: watermark", earliest_period_time, latest_period_time,
                                        "the calendar range (" + std::string(calendar_range_text) + ")");
    out.too_late_ = r.u64("tumbling: too late");
    // Every bucket type is at format version 1 so far; a newer bucket version will need a reader that
    // carries inner_version to A::load.
    out.prototype_ = A::load(r);
    const auto count = r.length("tumbling: bucket count", 8);
    std::int64_t previous = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const auto index = r.i64("tumbling: period index");
      if (!in_period_range(period{out.unit_, index})) {
        io::reader::fail("tumbling: period index " + std::to_string(index) + " is outside the calendar range of " +
                         std::string(cxm::to_string(out.unit_)) + " periods (" +
                         std::to_string(first_period(out.unit_).index) + ".." +
                         std::to_string(last_period(out.unit_).index) + ", " + calendar_range_text + ")");
      }
      if (i > 0 && index <= previous) io::reader::fail("tumbling: periods are not strictly increasing");
      previous = index;
      A bucket = A::load(r);
      try {
        A probe = out.prototype_;  // a bucket must have the prototype's parameters
        probe.merge(bucket);
      } catch (const std::invalid_argument& e) {
        io::reader::fail(std::string("tumbling: a bucket does not fit the window's parameters: ") + e.what());
      }
      out.buckets_.emplace_hint(out.buckets_.end(), index, std::move(bucket));
    }
    return out;
  }

  /// Compares the whole state: unit, bound, prototype, buckets, watermark and too-late count.
  friend bool operator==(const tumbling& a, const tumbling& b) {
    return a.unit_ == b.unit_ && a.max_lateness_ == b.max_lateness_ && a.watermark_ == b.watermark_ &&
           a.too_late_ == b.too_late_ && a.prototype_ == b.prototype_ && a.buckets_ == b.buckets_;
  }

 private:
  static constexpr const char* calendar_range_text = "years -32766..32766";
  static_assert(std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(earliest_period_time)}.year() ==
                    std::chrono::year{-32766} &&
                std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(latest_period_time)}.year() ==
                    std::chrono::year{32766});

  static std::string out_of_range_message(timestamp t) {
    return "tumbling: time " + format_iso8601(t) + " is outside the calendar range (" + calendar_range_text + ")";
  }

  /// A time outside the calendar range: to the policy passed last to add_at, if any, else thrown.
  template <class... Args>
  static void reject_time(timestamp t, Args&... args) {
    if constexpr (sizeof...(Args) > 0) {
      auto& last = std::get<sizeof...(Args) - 1>(std::tie(args...));
      if constexpr (invalid_policy<decltype(last)>) {
        last(rejection{rejection_reason::time_out_of_range, "tumbling", "time",
                       static_cast<double>(t.time_since_epoch().count()),
                       static_cast<double>(earliest_period_time.time_since_epoch().count()),
                       static_cast<double>(latest_period_time.time_since_epoch().count())});
        return;
      }
    }
    throw invalid_event(out_of_range_message(t));
  }

  period_unit unit_ = period_unit::month;
  A prototype_{};
  std::optional<std::chrono::milliseconds> max_lateness_;
  std::optional<timestamp> watermark_;
  std::uint64_t too_late_ = 0;
  boost::container::flat_map<std::int64_t, A> buckets_;
};

}  // namespace cxm
