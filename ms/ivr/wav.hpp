#pragma once
// WAV (RIFF/WAVE) in and out for the IVR: prompts arrive as WAV files of many shapes and
// become PcmAudio (8 kHz mono int16); recordings leave as 8 kHz PCM16 mono WAV.
//
// Contract:
// - decodeWav() accepts RIFF/WAVE with PCM 8-bit unsigned, 16/24/32-bit signed integer,
//   32-bit IEEE float, G.711 mu-law (format 7) and A-law (format 6), or
//   WAVE_FORMAT_EXTENSIBLE wrapping one of those; 1 or 2 channels (stereo is averaged to
//   mono); any sample rate in 8000..48000 (resampled to 8 kHz). Unknown chunks are skipped,
//   a missing pad byte after an odd-sized chunk is tolerated, and a data chunk that claims
//   more bytes than the file holds is read as far as the file goes (a truncated download).
//   Everything else, and anything beyond `limits`, is Error{422, reason}. The input is
//   treated as hostile: it never throws and never reads outside `bytes`.
// - inspectWav() parses the header only (chunk walk, fmt, where the data starts and how
//   long it claims to be) with the same rules; the disk writer uses it to append.
// - wavHeader()/encodeWav() write the canonical 44-byte PCM16 mono header. Sizes that do
//   not fit a RIFF header are clamped to its 32-bit maximum.
// All functions are pure and thread-safe; they allocate, so not for the media worker.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "ms/ivr/pcm_audio.hpp"

namespace parley::ms::ivr {

inline constexpr std::size_t kWavHeaderBytes = 44;

struct WavLimits {
    std::size_t maxBytes = 64u << 20;
    std::chrono::seconds maxDuration{3600};
};

enum class WavEncoding { Pcm, Float, Ulaw, Alaw };

// What a WAV header says, with the data chunk located in the input.
struct WavInfo {
    WavEncoding encoding = WavEncoding::Pcm;
    std::uint16_t channels = 0;
    std::uint32_t sampleRate = 0;
    std::uint16_t bitsPerSample = 0;      // container bits per sample (8, 16, 24, 32)
    std::size_t dataOffset = 0;           // first byte of the data chunk's payload
    std::uint64_t dataBytesDeclared = 0;  // the data chunk's size field
    std::size_t dataBytesPresent = 0;     // what the input holds of it (truncation-aware)
    bool dataIsLastChunk = true;          // nothing follows the data chunk in the input

    std::size_t frameBytes() const { return std::size_t(channels) * (bitsPerSample / 8); }
};

// Header walk only; `bytes` may be just the start of a file (dataBytesPresent then counts
// what was given). Error{422, reason} when it is not a WAV this decoder supports.
common::Result<WavInfo> inspectWav(std::string_view bytes);

common::Result<PcmAudio> decodeWav(std::string_view bytes, std::string origin,
                                   const WavLimits& limits = {});

// 44 bytes: RIFF/WAVE, fmt (PCM, 1 channel, 16 bits, sampleRate), data header of dataBytes.
std::string wavHeader(std::uint32_t sampleRate, std::uint32_t dataBytes);

// wavHeader(audio.sampleRate, ...) followed by the samples, little-endian.
std::string encodeWav(const PcmAudio& audio);

}  // namespace parley::ms::ivr
