// libFuzzer target for parley-ms's WAV reader (prompts fetched from anywhere): any bytes go
// through inspectWav() and decodeWav(); what decodes must be mono 8 kHz audio whose length
// agrees with the header's data size, and re-encoding it must decode to the same samples.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ms/ivr/wav.hpp"

using namespace parley::ms::ivr;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    (void)inspectWav(bytes);
    WavLimits limits;
    limits.maxBytes = 1u << 20;
    limits.maxDuration = std::chrono::seconds(60);
    auto audio = decodeWav(bytes, "fuzz", limits);
    if (!audio) {
        if (audio.error().code != 422) std::abort();
        return 0;
    }
    if (audio->sampleRate != 8000) std::abort();
    if (audio->samples.size() > 60u * 8000u + 8000u) std::abort();
    auto again = decodeWav(encodeWav(*audio), "fuzz-again");
    if (!again || again->samples != audio->samples) std::abort();
    return 0;
}
