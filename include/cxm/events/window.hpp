#pragma once
// Windows over any accumulator A: a tumbling window keeps one A per calendar period (NPS by month,
// CSAT by ISO week, ...); a sliding window over the last N periods is the merge of their buckets.
// An event lands in the period of its own time, so out-of-order input gives the same state as sorted
// input. An optional bound on lateness rejects (and counts) events older than the latest time seen
// minus the bound: that bound makes the result depend on arrival order, by design.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <boost/container/flat_map.hpp>

#include "cxm/core/accumulator.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"
#include "cxm/events/time.hpp"

namespace cxm {

/// An observation with its time: the input of a window.
template <class X>
struct timed {
  timestamp time;
  X value;
};

template <class A>
class tumbling {
 public:
  static constexpr std::uint32_t type_tag = fourcc("tmbl");
  static constexpr std::uint16_t format_version = 1;
  using bucket_result = decltype(std::declval<const A&>().result());

  struct period_result {
    period when;
    bucket_result result;
  };
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

  [[nodiscard]] period_unit unit() const noexcept { return unit_; }
  [[nodiscard]] std::optional<std::chrono::milliseconds> max_lateness() const noexcept { return max_lateness_; }
  [[nodiscard]] std::optional<timestamp> watermark() const noexcept { return watermark_; }

  /// Whether an observation at `t` is within the lateness bound (always, without a bound).
  [[nodiscard]] bool accepts(timestamp t) const noexcept {
    return !max_lateness_ || !watermark_ || t >= *watermark_ - *max_lateness_;
  }

  /// The bucket of the period holding `t`, created on first use. Does not check lateness.
  A& bucket_at(timestamp t) {
    const period p = period_of(t, unit_);
    auto it = buckets_.find(p.index);
    if (it == buckets_.end()) it = buckets_.emplace(p.index, prototype_).first;
    return it->second;
  }

  /// Folds `args` into the bucket of `t` (A::add(args...)); false when rejected as too late.
  template <class... Args>
  bool add_at(timestamp t, Args&&... args) {
    if (!accepts(t)) {
      ++too_late_;
      return false;
    }
    bucket_at(t).add(std::forward<Args>(args)...);
    if (!watermark_ || t > *watermark_) watermark_ = t;
    return true;
  }

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

  /// The merge of the last `periods` periods up to and including the one holding `as_of`.
  [[nodiscard]] A sliding(std::size_t periods, timestamp as_of) const {
    A out = prototype_;
    const auto last = period_of(as_of, unit_).index;
    // Clamped: a huge count means "every period up to as_of", never a wrapped-around empty range.
    const auto span = static_cast<std::int64_t>(std::min<std::size_t>(periods, std::size_t{1} << 40));
    const auto first = last - span + 1;
    for (auto it = buckets_.lower_bound(first); it != buckets_.end() && it->first <= last; ++it) out.merge(it->second);
    return out;
  }

  [[nodiscard]] result_type result() const {
    result_type r{{}, too_late_};
    r.periods.reserve(buckets_.size());
    for (const auto& [index, bucket] : buckets_) r.periods.push_back({period{unit_, index}, bucket.result()});
    return r;
  }

  [[nodiscard]] std::size_t size() const noexcept { return buckets_.size(); }

  void save(io::writer& w) const {
    w.u32(A::type_tag);
    w.u16(A::format_version);
    w.u8(static_cast<std::uint8_t>(unit_));
    w.boolean(max_lateness_.has_value());
    w.i64(max_lateness_ ? max_lateness_->count() : 0);
    w.boolean(watermark_.has_value());
    w.i64(watermark_ ? watermark_->time_since_epoch().count() : 0);
    w.u64(too_late_);
    prototype_.save(w);
    w.u64(buckets_.size());
    for (const auto& [index, bucket] : buckets_) {
      w.i64(index);
      bucket.save(w);
    }
  }

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
    const bool has_watermark = r.boolean("tumbling: has watermark");
    const auto watermark = r.i64("tumbling: watermark");
    if (has_watermark) out.watermark_ = timestamp{std::chrono::milliseconds{watermark}};
    out.too_late_ = r.u64("tumbling: too late");
    // Every bucket type is at format version 1 so far; a newer bucket version will need a reader that
    // carries inner_version to A::load.
    out.prototype_ = A::load(r);
    const auto count = r.length("tumbling: bucket count", 8);
    std::int64_t previous = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const auto index = r.i64("tumbling: period index");
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

  friend bool operator==(const tumbling& a, const tumbling& b) {
    return a.unit_ == b.unit_ && a.max_lateness_ == b.max_lateness_ && a.watermark_ == b.watermark_ &&
           a.too_late_ == b.too_late_ && a.prototype_ == b.prototype_ && a.buckets_ == b.buckets_;
  }

 private:
  period_unit unit_ = period_unit::month;
  A prototype_{};
  std::optional<std::chrono::milliseconds> max_lateness_;
  std::optional<timestamp> watermark_;
  std::uint64_t too_late_ = 0;
  boost::container::flat_map<std::int64_t, A> buckets_;
};

}  // namespace cxm
