// libFuzzer target: any bytes into parley::proto::sdp::parse(). Whatever parses must print
// and parse back to the same value (the round-trip contract of proto/sdp/wire.hpp), and
// the control-line and audio-answer helpers must cope with it.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "proto/sdp/audio_answer.hpp"
#include "proto/sdp/control_media.hpp"
#include "proto/sdp/wire.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace sdp = parley::proto::sdp;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parsed = sdp::parse(text);
    if (!parsed) return 0;

    auto again = sdp::parse(sdp::print(parsed.value()));
    if (!again || !(again.value() == parsed.value())) std::abort();

    (void)sdp::findControlMedia(parsed.value());
    sdp::AudioAnswerParams params;
    params.address.address = "192.0.2.1";
    params.ports.assign(parsed->media.size(), 40000);
    auto answer = sdp::answerAudioOffer(parsed.value(), params);
    auto answerBack = sdp::parse(sdp::print(answer));
    if (!answerBack) std::abort();
    return 0;
}
