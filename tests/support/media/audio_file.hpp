#pragma once
// Audio files for debugging artifacts and for peers the project did not write.
//
// - writeWavPcm16: RIFF/WAVE, 16-bit linear PCM, mono (any player, sox, Audacity).
// - writeWavG711:  RIFF/WAVE with format tag 7 (mu-law) or 6 (A-law), 8-bit mono, with the
//                  fact chunk non-PCM files carry; sox reads it. Later sipp releases skip a
//                  RIFF header in rtp_stream files, sipp 3.6 does not (see below).
// - writeSippRtpStreamFile: what sipp 3.6's `<exec rtp_stream="file,loops,pt"/>` plays.
//   sipp 3.6 caches the file's bytes as they are (no header parsing) and sends them as the
//   payload, 160 bytes per 20 ms packet for payload types 0 (PCMU) and 8 (PCMA). So the file
//   is headerless G.711 of the law matching the payload type, padded here to whole 20 ms
//   packets with the law's silence code. Use it from a scenario as
//       <exec rtp_stream="/tmp/tone-400.ulaw,-1,0"/>     (loops -1 = forever, PT 0 = PCMU)
//   sippRtpStreamAction() builds that value. The same file plays with
//       sox -t ul -r 8000 -c 1 tone-400.ulaw -d      (-t al for A-law).
// - readWav: PCM16 or G.711 mono WAV back to linear samples (recordings made by the MS).
//
// Errors come back as Status/Result; nothing throws.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "tests/support/media/g711.hpp"

namespace parley::test {

common::Status writeWavPcm16(const std::filesystem::path& path,
                             std::span<const std::int16_t> samples, int sampleRate = 8000);
common::Status writeWavG711(const std::filesystem::path& path, G711Law law,
                            std::span<const std::int16_t> samples);
common::Status writeSippRtpStreamFile(const std::filesystem::path& path, G711Law law,
                                      std::span<const std::int16_t> samples);
// "<path>,<loops>,<payload type>" for rtp_stream.
std::string sippRtpStreamAction(const std::filesystem::path& path, G711Law law, int loops = -1);

struct WavAudio {
    int sampleRate = 0;
    std::vector<std::int16_t> samples;  // decoded to linear
};
common::Result<WavAudio> readWav(const std::filesystem::path& path);

}  // namespace parley::test
