// libFuzzer target for SRGS DTMF grammars (inline in a <collect> or fetched): any bytes go
// through SrgsGrammar::fromDocument(); errors must carry 400 or 424, and a compiled grammar
// is matched against digit strings made from the input (bounded time, no crash).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ms/ivr/srgs_grammar.hpp"

using namespace parley::ms::ivr;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto g = SrgsGrammar::fromDocument(text);
    if (!g) {
        const int code = g.error().code;
        if (code != 400 && code != 424) std::abort();
        return 0;
    }
    static const char kKeys[] = "0123456789*#ABCD";
    std::string digits;
    for (std::size_t i = 0; i < size && digits.size() < 40; ++i) {
        digits.push_back(kKeys[data[i] % 16]);
        (void)g->match(digits);
    }
    return 0;
}
