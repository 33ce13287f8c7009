#pragma once
// TimeStretch: playback-rate change that keeps the pitch (VCR speedupkey/speeddnkey,
// RFC 6231 section 4.3.1.2), by WSOLA (waveform-similarity overlap-add) at 8 kHz.
//
// How it works. Output is built from 20 ms Hann-windowed segments of the input, one every
// 10 ms of output (50 % overlap; the periodic Hann halves sum to exactly 1). The segment for
// the next 10 ms nominally starts where the input clock is (the clock advances by
// 10 ms * rate per hop), but its start is moved by up to +-7.5 ms to the place whose
// waveform best matches (normalized cross-correlation) the natural continuation of the
// previous segment, so the overlapping halves add in phase: no clicks, no pitch change, no
// comb-filter dips. At rate 1.0 the search is skipped and the natural continuation is taken,
// which reproduces the input sample for sample; so a player can run everything through
// a TimeStretch and still play at normal speed bit-exactly; produce() then copies the input
// instead of computing the hops (their result), keeping only the overlap a later hop needs.
//
// Input is pulled by absolute position from a StretchInput (random access is what the
// similarity search needs); positions outside the input are zeros, by the input's own rule.
// Each read is at most kMaxRead samples.
//
// seek() moves the input clock: with a StretchInput it primes the overlap so output
// starts exactly at the new position (used for a start); without one the old audio's tail
// fades out over the first 10 ms while the new position fades in (a click-free jump).
//
// Threads: one owner thread. produce()/seek()/setRate() never allocate, lock or throw;
// every buffer is a member array.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace parley::ms::ivr {

class StretchInput {
  public:
    virtual ~StretchInput() = default;
    // Fills `out` with the input from `position` on (zeros where there is no input).
    virtual void read(std::int64_t position, std::span<std::int16_t> out) = 0;
};

class TimeStretch {
  public:
    static constexpr std::size_t kHop = 80;      // 10 ms of output per step
    static constexpr std::size_t kWindow = 160;  // 20 ms segments
    static constexpr std::size_t kSearch = 60;   // +-7.5 ms: covers pitch periods to 67 Hz
    static constexpr std::size_t kMaxRead = kWindow + 2 * kSearch;
    static constexpr double kMinRate = 0.5;
    static constexpr double kMaxRate = 2.0;

    TimeStretch();

    // Input consumed per output sample, clamped to [kMinRate, kMaxRate].
    void setRate(double rate);
    double rate() const { return rate_; }

    // Moves the input clock to `position`; see the header comment for `prime`.
    void seek(std::int64_t position, StretchInput* prime);

    // Produces out.size() samples (a multiple of kHop; the rest, if any, is zeroed).
    void produce(StretchInput& input, std::span<std::int16_t> out);

    // The input position the next output sample comes from (the input clock).
    double position() const { return nominal_; }

  private:
    void hop(StretchInput& input, std::int16_t* out);
    std::int64_t bestOffset() const;  // offset from the clock, in -kSearch..kSearch

    std::array<double, kWindow> window_{};
    std::array<double, kHop> overlap_{};  // second half of the last segment, windowed
    std::array<std::int16_t, kMaxRead> search_{};
    std::array<std::int16_t, kWindow> continuation_{};
    double rate_ = 1.0;
    double nominal_ = 0;
    std::int64_t previous_ = -static_cast<std::int64_t>(kHop);  // start of the last segment
    // overlap_ continues the input at previous_ + kHop (after any hop or a primed seek; not
    // after a fading seek): at rate 1 the output is then the input itself.
    bool settled_ = false;
};

}  // namespace parley::ms::ivr
