// libFuzzer target: arbitrary bytes as an msc-mixer/1.0 body, in both leniencies.
// Whatever parses must serialize, and what Parley writes must parse back to the same
// message (a failure here is a real defect: abort so the fuzzer keeps the input).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proto/packages/mixer/mixer_codec.hpp"

namespace {

void roundTrip(std::string_view body, parley::proto::mixer::Leniency leniency) {
    using namespace parley::proto::mixer;
    ParseOptions options;
    options.leniency = leniency;
    auto first = parse(body, options);
    if (!first) {
        if (first.error().code != 400 && first.error().code != 428) std::abort();
        return;
    }
    const std::string written = serialize(*first);
    auto second = parse(written, options);
    if (!second || !(*second == *first)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view body(reinterpret_cast<const char*>(data), size);
    roundTrip(body, parley::proto::mixer::Leniency::strict);
    roundTrip(body, parley::proto::mixer::Leniency::tolerant);
    return 0;
}
