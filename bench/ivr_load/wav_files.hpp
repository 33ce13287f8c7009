#pragma once
// WAV files of the IVR benchmark, read and written here without parley-ms's own WAV code
// (the check of a recording must not share the code that wrote it).
//
// writeToneWav: 8 kHz mono PCM16, one tone per segment, each segment `segmentSeconds`
// long; tones that are multiples of 50 Hz fill every 20 ms frame in whole cycles.
//
// checkRecording: the file must be RIFF/WAVE with a PCM fmt chunk (8 kHz, mono, 16-bit)
// and a data chunk whose size matches the file; then it is cut into 160-sample blocks (the
// media worker's 20 ms frames, aligned with the file's start) and each block is tested for
// `toneHz` (Goertzel amplitude >= minAmplitude). toneBlocks counts them, gaps counts
// blocks without the tone between the first and the last block with it (lost audio).

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace parley::bench {

common::Status writeToneWav(const std::filesystem::path& path, const std::vector<double>& tonesHz,
                            double segmentSeconds, double amplitude);

struct RecordingCheck {
    bool valid = false;
    std::string why;                 // when not valid
    std::uint64_t fileBytes = 0;
    std::uint64_t samples = 0;
    std::uint64_t toneBlocks = 0;
    std::uint64_t gaps = 0;          // blocks without the tone inside the tone's span
    std::uint64_t firstTone = 0;     // block index
    std::uint64_t lastTone = 0;
};

RecordingCheck checkRecording(const std::filesystem::path& path, double toneHz,
                              double minAmplitude);

}  // namespace parley::bench
