// libFuzzer target for the msc-ivr/1.0 codec: any bytes go through parse(); whatever parses
// is written back with serialize(), and what Parley writes must parse again to the same
// message (both foreign-content policies are exercised).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "proto/packages/ivr/codec.hpp"

using namespace parley::proto::ivr;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    (void)parse(body, {ForeignPolicy::Reject});
    auto doc = parseDocument(body);
    if (!doc.ok()) return 0;
    const std::string written = serialize(doc.value());
    // Indentation and namespace declarations make the output larger than the input; the
    // second parse checks the content, not the input limits.
    ParseOptions roomy;
    roomy.limits.maxBytes = 64u << 20;
    roomy.limits.maxAttributes = 1024;
    auto again = parseDocument(written, roomy);
    if (!again.ok() || !(again.value() == doc.value())) std::abort();
    return 0;
}
